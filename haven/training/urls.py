from django.urls import path

from . import public, views

app_name = "training"
urlpatterns = [
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/kept/", views.attendance_offline, name="attendance_offline"),
    path("sessions/<int:session_id>/attendees/", views.attendee_add, name="attendee_add"),
    path(
        "attendees/<int:attendee_id>/certificate/",
        views.certificate_issue,
        name="certificate_issue",
    ),
    path(
        "attendees/<int:attendee_id>/certificate.pdf",
        views.certificate_pdf,
        name="certificate_pdf",
    ),
    path(
        "attendees/<int:attendee_id>/certificate/revoke/",
        views.certificate_revoke,
        name="certificate_revoke",
    ),
    path("certificates/expiring/", views.expiring, name="expiring"),
    path("course/text/", views.course_text, name="course_text"),
    path("questions/", views.questions, name="questions"),
    path("questions/new/", views.question_edit, name="question_new"),
    path("questions/<int:question_id>/", views.question_edit, name="question_edit"),
    # Public: no login.
    path("q/<str:quiz_token>/<str:stage>/", public.quiz, name="quiz"),
    path("course/", public.course, name="course"),
    path("course/quiz/", public.course_quiz, name="course_quiz"),
    path("course/certificate/", public.course_certificate, name="course_certificate"),
    path("check/<str:certificate_code>/", public.verify_certificate, name="verify"),
    path(
        "check/<str:certificate_code>/certificate.pdf",
        public.course_certificate_pdf,
        name="course_certificate_pdf",
    ),
]
