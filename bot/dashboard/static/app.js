// The Mini App page: Telegram puts the signed initData in the URL fragment (tgWebAppData), as
// its own telegram-web-app.js reads it; this page reads it there itself, so no script from
// another origin runs here. The server checks the signature (bot/dashboard/initdata.py).
"use strict";
(function () {
  const box = document.getElementById("miniapp");
  const status = document.getElementById("status");
  const params = new URLSearchParams(window.location.hash.slice(1));
  const initData = params.get("tgWebAppData") || "";
  function fail() {
    status.hidden = true;
    document.getElementById("failed").hidden = false;
  }
  if (!initData) { fail(); return; }
  fetch(box.dataset.auth, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ init_data: initData }).toString(),
  }).then(function (response) {
    if (!response.ok) { throw new Error(String(response.status)); }
    return response.json();
  }).then(function (answer) {
    if (window.top !== window.self) {
      // Telegram Web shows Mini Apps in a frame, where a SameSite=Strict cookie is not sent.
      status.hidden = true;
      const link = document.getElementById("newtab");
      link.href = answer.login_url;
      document.getElementById("framed").hidden = false;
      link.focus();
      return;
    }
    window.location.replace(answer.next);
  }).catch(fail);
})();
