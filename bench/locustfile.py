"""Locust users for bench/load_test.py (which prepares the plan and starts the servers).

The plan (a JSON file named by HAVEN_LOAD_PLAN) holds what a user needs: session
cookies and device tokens made by the driver, each specialist's site, the
participants' card codes and ids, the usual supplies and services. Users:

- FieldSpecialist: the real mix of a specialist's day, one action every
  HAVEN_LOAD_PACE seconds (0: without pause): a quick log with supplies (most
  actions), a participant looked up by card code and opened, a directory
  search, now and then a sync batch from the offline outbox;
- ProgramManager: opens a quarter's funder report and the dashboard;
- QuickSaver: only saves contacts (field pace, or without pause for saves/s);
- HealthCheck: only GET /healthz, the ceiling of the same server.
"""

import json
import os
import random
import re
import time
import uuid

import gevent
from locust import FastHttpUser, constant, constant_throughput, events, task

PLAN = json.loads(open(os.environ["HAVEN_LOAD_PLAN"]).read())  # noqa: SIM115
PACE = float(os.environ.get("HAVEN_LOAD_PACE", "1"))
CSRF = "haven0load0test0csrf0secret00000"  # 32 characters, sent as cookie and header


# The client UUIDs of contacts the server said it stored, of those it answered
# 503 (busy) and of other failures, written out at the end for the driver to check.
RECEIPTS = {"saved": [], "busy": [], "other": []}


@events.quitting.add_listener
def write_receipts(environment, **kwargs):
    with open(os.environ["HAVEN_LOAD_RECEIPTS"], "w") as receipts:
        json.dump(RECEIPTS, receipts)


def pacing():
    """One action every PACE seconds, on the user's own timetable (see on_start).

    Not locust's constant_pacing: it counts from when the users were made, so the
    random start in on_start was undone after the first action and all 20 users
    saved in the same few milliseconds of every second."""
    if PACE == 0:
        return constant(0)

    def wait(user):
        now = time.monotonic()
        # Behind (an answer slower than the pace): start again from now
        # rather than firing the missed actions in a burst.
        user.next_action = max(user.next_action + PACE, now)
        return user.next_action - now

    return wait


# The desk-sized charts of the dashboard page.
CHART = re.compile(r'<img src="(/reports/dashboard/chart/[^"]+)"')


class HavenUser(FastHttpUser):
    abstract = True
    wait_time = pacing()
    role = "specialist"
    counter = 0

    def on_start(self):
        HavenUser.counter += 1
        people = PLAN[self.role + "s"]
        self.me = people[HavenUser.counter % len(people)]
        self.rng = random.Random(HavenUser.counter)
        self.headers = {
            "Cookie": f"{PLAN['session_cookie']}={self.me['session']}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "Referer": self.host + "/",
        }
        # Workers in the field do not tap Save in step: each paced user starts at a
        # random moment of its first interval, or all 20 would arrive in one burst
        # every second and wait for each other.
        if PACE:
            gevent.sleep(self.rng.uniform(0, PACE))
        self.next_action = time.monotonic()

    def participant(self):
        return self.rng.choice(PLAN["participants"])

    def supplies(self):
        chosen = self.rng.sample(PLAN["usual_items"], self.rng.randint(2, 4))
        return {item: self.rng.randint(1, 3) for item in chosen}

    def save_contact(self):
        data = {
            "client_uuid": str(uuid.uuid4()),
            "card_code": self.participant()["card_code"],
            "site": self.me["site"],
            "contact_type": "street",
            "secondary_people": "0",
            "services": str(self.rng.choice(PLAN["services"])),
        }
        data.update({f"supply_{item}": str(n) for item, n in self.supplies().items()})
        with self.client.post(
            "/outreach/log/",
            data=data,
            headers=self.headers,
            allow_redirects=False,
            name="save contact (quick log)",
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                RECEIPTS["saved"].append(data["client_uuid"])
            else:
                RECEIPTS["busy" if response.status_code == 503 else "other"].append(
                    data["client_uuid"]
                )
                response.failure(f"not saved: {response.status_code}")


class FieldSpecialist(HavenUser):
    @task(6)
    def quick_log(self):
        self.save_contact()

    @task(3)
    def look_up_participant(self):
        who = self.participant()
        with self.client.post(
            "/participants/",
            data={"q": who["card_code"]},
            headers=self.headers,
            allow_redirects=False,
            name="find participant by card code",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"not found: {response.status_code}")
                return
        self.client.get(
            f"/participants/{who['id']}/", headers=self.headers, name="participant page"
        )

    @task(2)
    def search_directory(self):
        latitude, longitude = PLAN["centre"]
        params = {
            "needs": self.rng.sample(PLAN["needs"], self.rng.randint(1, 2)),
            "open_now": "on",
            "miles": self.rng.choice([5, 10, 25]),
            "lat": round(latitude + self.rng.gauss(0, 0.2), 4),
            "lon": round(longitude + self.rng.gauss(0, 0.25), 4),
        }
        self.client.get("/resources/", params=params, headers=self.headers, name="directory search")

    @task(1)
    def sync_outbox(self):
        if self.rng.random() > 0.3:  # a sync batch now and then, not every time
            return
        records = []
        for _ in range(10):
            records.append(
                {
                    "kind": "contact",
                    "client_uuid": str(uuid.uuid4()),
                    "site": self.me["site"],
                    "contact_type": "street",
                    "participant": self.participant()["id"],
                    "supplies": [
                        {"item": item, "quantity": n} for item, n in self.supplies().items()
                    ],
                }
            )
        with self.client.post(
            "/api/v1/sync",
            json={"records": records},
            headers={"Authorization": f"Bearer {self.me['token']}"},
            name="sync batch (10 contacts)",
            catch_response=True,
        ) as response:
            uuids = [record["client_uuid"] for record in records]
            if response.status_code != 200:
                RECEIPTS["busy" if response.status_code == 503 else "other"] += uuids
                response.failure(f"sync answered {response.status_code}")
                return
            results = response.json()["results"]
            RECEIPTS["saved"] += [r["client_uuid"] for r in results if r["status"] == 201]
            if any(r["status"] != 201 for r in results):
                response.failure("a record of the batch was refused")


class ProgramManager(HavenUser):
    role = "manager"
    weight = 1
    wait_time = constant_throughput(0.2)  # a report every few seconds at most

    def on_start(self):
        super().on_start()
        self.kept_charts = set()

    @task(3)
    def open_report(self):
        year, quarter = PLAN["last_quarter"]
        self.client.get(
            f"/reports/{self.rng.choice(['ssp', 'naloxone'])}/",
            params={"period": "quarter", "year": year, "number": quarter},
            headers=self.headers,
            name="funder report (quarter)",
        )

    @task(1)
    def open_dashboard(self):
        page = self.client.get("/reports/dashboard/", headers=self.headers, name="dashboard")
        # Its charts, as a desk's browser fetches them: those it has not kept from a view
        # before (a chart's address changes with its numbers).
        for address in CHART.findall(page.text or ""):
            if address not in self.kept_charts:
                self.client.get(address, headers=self.headers, name="dashboard chart")
                self.kept_charts.add(address)


FieldSpecialist.weight = 9


class QuickSaver(HavenUser):
    @task
    def quick_log(self):
        self.save_contact()


class HealthCheck(FastHttpUser):
    wait_time = pacing()

    @task
    def healthz(self):
        self.client.get("/healthz", name="/healthz")
