// Stockyard console behaviour: htmx settings, the scan field's focus, and the handheld's feedback sounds.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      // Refusals (4xx) carry a message to show in place, so they are swapped like answers.
      htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "4..", swap: true, error: false },
        { code: "...", swap: false, error: true },
      ];
      htmx.config.defaultSettleDelay = 0;
    }
    focusScan();
  });

  function focusScan() {
    var field = document.querySelector("input.scan");
    if (field) { field.focus(); field.select(); }
  }

  var audio = null;
  function tone(frequency, seconds) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = frequency;
      gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + seconds);
    } catch (e) { /* no sound device: the colour still tells */ }
  }

  document.addEventListener("htmx:afterSettle", function () {
    var feedback = document.getElementById("feedback");
    var failed = feedback && feedback.querySelector(".feedback-error");
    if (document.body.classList.contains("handheld")) {
      if (failed) { tone(220, 0.35); document.body.dataset.lastSound = "error"; }
      else { tone(880, 0.08); document.body.dataset.lastSound = "ok"; }
    }
    focusScan();
  });
  // A new step clears an old error, so the colour on screen is always about the last scan.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var feedback = document.getElementById("feedback");
    if (feedback && event.target.closest && event.target.closest(".hh-scan, form")) { feedback.innerHTML = ""; }
  });
})();
