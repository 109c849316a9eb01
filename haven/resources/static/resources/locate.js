// "Use my location": fill the hidden latitude/longitude fields from the
// browser's location and search. Nothing is sent anywhere else. The form is
// sent as if its Search button were pressed, so that with no signal the
// search is answered on the phone (offline_search.js listens for that), also
// for the participant's search, which is a POST the service worker cannot answer.
(function () {
  "use strict";
  document.querySelectorAll("[data-locate]").forEach(function (button) {
    var form = button.closest("form");
    var status = form.querySelector("[data-locate-status]");
    if (!navigator.geolocation) {
      button.hidden = true;
      return;
    }
    button.addEventListener("click", function () {
      status.textContent = button.dataset.waiting || "";
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(5);
          form.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(5);
          var place = form.querySelector("input[name=place]");
          if (place) { place.value = ""; }
          if (form.requestSubmit) {
            form.requestSubmit();
          } else {
            form.submit();
          }
        },
        function () {
          status.textContent = button.dataset.failed || "";
        },
        { timeout: 10000, maximumAge: 300000 }
      );
    });
  });
})();
