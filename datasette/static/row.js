// The reading view of one prompt: copy the prompt, and say what became of it.
// A static file (the CSP allows scripts from this origin only); the feedback goes to the
// write API on the same origin as JSON, so no token or CORS is involved on loopback.
(function () {
  "use strict";

  const copy = document.getElementById("pi-copy");
  if (copy) {
    const area = document.getElementById("pi-prompt-raw");
    const done = (ok) => {
      copy.textContent = ok ? "Copied" : "Copy failed: select the text";
      setTimeout(() => { copy.textContent = "Copy prompt"; }, 2000);
    };
    const fallback = () => {
      area.removeAttribute("aria-hidden");
      area.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    };
    copy.addEventListener("click", () => {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(() => done(true), fallback);
      } else {
        fallback();
      }
    });
  }

  const form = document.getElementById("pi-feedback-form");
  if (!form) return;
  const status = document.getElementById("pi-feedback-status");
  const finalBox = form.querySelector(".pi-final");
  const button = form.querySelector("button[type=submit]");

  // The edited text is asked for only when the outcome is "edited".
  form.addEventListener("change", () => {
    finalBox.hidden = form.elements.outcome.value !== "edited";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = form.elements.outcome.value;
    if (!outcome) {
      status.textContent = "Choose accepted, edited or rejected.";
      return;
    }
    const body = { outcome };
    if (outcome === "edited") body.final_prompt = form.elements.final_prompt.value;
    if (form.elements.rating.value) body.rating = Number(form.elements.rating.value);
    if (form.elements.comment.value.trim()) body.comment = form.elements.comment.value.trim();
    button.disabled = true;
    status.textContent = "Saving…";
    try {
      const response = await fetch(form.dataset.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-client": "browser" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      let answer = {};
      try { answer = await response.json(); } catch (e) { answer = {}; }
      if (response.status === 201) {
        status.textContent = "Saved.";
        // Reload so the latest feedback and its history come from the database itself.
        window.location.reload();
        return;
      }
      if (response.status === 401) {
        status.textContent = "This server needs WRITE_API_TOKEN for writes; " +
          "use `prompt-improver feedback` instead.";
      } else {
        status.textContent = answer.detail || `Not saved (HTTP ${response.status}).`;
      }
    } catch (error) {
      status.textContent = `Not saved: ${error.message}. Is the server still running?`;
    }
    button.disabled = false;
  });
})();
