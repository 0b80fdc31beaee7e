// The live count under the campaign form's audience: asks the server how many chats the
// chosen municipalities, neighbourhoods, kind of chat and topic reach now.
"use strict";
(function () {
  const form = document.getElementById("draft");
  const count = document.getElementById("count");
  if (!form || !count) { return; }
  function refresh() {
    const query = new URLSearchParams();
    for (const box of form.querySelectorAll("input[name=m]")) {
      if (box.type === "hidden" || box.checked) { query.append("m", box.value); }
    }
    for (const box of form.querySelectorAll("input[name=h]:checked")) { query.append("h", box.value); }
    query.set("kinds", form.elements.kinds.value);
    query.set("topic", form.elements.topic.value);
    fetch(form.dataset.count + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer) { count.textContent = answer.text; } });
  }
  form.addEventListener("change", function (event) {
    if (["m", "h", "kinds", "topic"].includes(event.target.name)) { refresh(); }
  });
})();
