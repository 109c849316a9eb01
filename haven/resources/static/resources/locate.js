// "Use my location": fill the hidden latitude/longitude fields from the
// browser's location and search. Nothing is sent anywhere else.
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
          form.submit();
        },
        function () {
          status.textContent = button.dataset.failed || "";
        },
        { timeout: 10000, maximumAge: 300000 }
      );
    });
  });
})();
