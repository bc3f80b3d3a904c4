// The login page: posts the key pair, then goes to the overview (the session cookie
// is set by the answer; the pages fetch their CSRF token from /console/session).
"use strict";
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const body = new URLSearchParams({
    secretId: document.getElementById("secretId").value,
    secretKey: document.getElementById("secretKey").value,
  });
  try {
    const answer = await fetch("/console/login", { method: "POST", body, credentials: "same-origin" });
    if (answer.ok) {
      location.href = "/console/";
      return;
    }
    const json = await answer.json().catch(() => ({}));
    error.textContent = json.error || ("login failed: HTTP " + answer.status);
  } catch (e) {
    error.textContent = "cannot reach cmqd: " + e;
  }
});
