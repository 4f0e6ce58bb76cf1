// The reading view's copy button (no inline script: the content-security policy forbids it).
(function () {
  const button = document.getElementById("pi-copy");
  if (!button) return;
  const text = document.getElementById("pi-prompt-raw").value;
  function done(ok) {
    button.textContent = ok ? "Copied" : "Copy failed: select the text";
    setTimeout(() => { button.textContent = "Copy prompt"; }, 2000);
  }
  function fallback() {
    const area = document.getElementById("pi-prompt-raw");
    area.removeAttribute("aria-hidden");
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    done(ok);
  }
  button.addEventListener("click", () => {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done(true), fallback);
    } else {
      fallback();
    }
  });
})();
