/* The visit form on a phone with a weak signal (monitoring/visit_form.html).

   - The form gets a random client_id when it is opened, so that the server stores a visit sent twice once.
   - A chosen photo is scaled down (longest side 1280 px, JPEG) before it is sent.
   - "记录位置" fills the hidden latitude/longitude from the phone, if the user allows it.
   - The form is sent with fetch. A refused form (the server answers with the form and its messages) is sent
     again the ordinary way, so that the page shows them. When the network fails (or the server answers 5xx) the filled form — the
     photo as a data URL — is kept in localStorage under "bangfu.visit-drafts" and sent again when the phone
     is back online, when a page with this script loads, and every 30 seconds while drafts remain. A draft
     is dropped once the server has answered it (stored, or refused with a message shown on its page).

   Everything is declared by data attributes (the CSP allows no inline script): data-visit-form on the form,
   data-visit-status for messages, data-locate / data-located for the location, data-visit-drafts on pages
   that only resend. */
(function () {
  "use strict";

  var KEY = "bangfu.visit-drafts";
  var MAX_SIDE = 1280;

  function drafts() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  function save(list) {
    window.localStorage.setItem(KEY, JSON.stringify(list));
  }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function show(text, kind) {
    var box = document.querySelector("[data-visit-status]") || document.querySelector("[data-visit-drafts]");
    if (!box || !text) {
      return;
    }
    box.textContent = text;
    box.classList.remove("d-none", "alert-warning", "alert-success");
    box.classList.add(kind === "ok" ? "alert-success" : "alert-warning");
  }

  // Scale the chosen image down in a canvas; resolves to a JPEG Blob (or the original file if it fails).
  // The image is read as a data: URL (the CSP's img-src allows data:, not blob:).
  function compress(file) {
    if (!file || !/^image\//.test(file.type)) {
      return Promise.resolve(file);
    }
    return toDataUrl(file).then(function (dataUrl) {
      return new Promise(function (resolve) {
        if (!dataUrl) {
          resolve(file);
          return;
        }
        var image = new Image();
        image.onload = function () {
          var scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
          var canvas = document.createElement("canvas");
          canvas.width = Math.max(1, Math.round(image.width * scale));
          canvas.height = Math.max(1, Math.round(image.height * scale));
          canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
          canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.7);
        };
        image.onerror = function () { resolve(file); };
        image.src = dataUrl;
      });
    });
  }

  function toDataUrl(blob) {
    return new Promise(function (resolve) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { resolve(null); };
      reader.readAsDataURL(blob);
    });
  }

  function fromDataUrl(dataUrl) {
    var parts = dataUrl.split(",");
    var binary = window.atob(parts[1]);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return new Blob([bytes], { type: "image/jpeg" });
  }

  // One send; resolves to the fetch Response, rejects on a network failure.
  function send(url, fields, photo) {
    var body = new FormData();
    fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    if (photo) {
      body.append("photo", photo, "visit.jpg");
    }
    // "manual": the server's redirect after storing the visit is not followed here, so the page it leads to
    // (with its "recorded" message) is loaded by the browser itself afterwards.
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" });
  }

  var resending = false;

  function resend() {
    var list = drafts();
    if (resending || !list.length || navigator.onLine === false) {
      return Promise.resolve();
    }
    resending = true;
    var kept = [];
    var chain = Promise.resolve();
    list.forEach(function (draft) {
      chain = chain.then(function () {
        return send(draft.url, draft.fields, draft.photo ? fromDataUrl(draft.photo) : null)
          .then(function (response) {
            if (response.status >= 500) {
              kept.push(draft);
            }
          })
          .catch(function () { kept.push(draft); });
      });
    });
    return chain.then(function () {
      save(kept);
      resending = false;
      if (kept.length < list.length) {
        var form = document.querySelector("[data-visit-form]");
        show(form ? form.getAttribute("data-sent-message") : "", "ok");
      }
    });
  }

  function attach(form) {
    var clientId = form.querySelector("input[name=client_id]");
    if (clientId && !clientId.value) {
      clientId.value = uuid();
    }
    var locate = document.querySelector("[data-locate]");
    if (locate && navigator.geolocation) {
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          form.querySelector("input[name=latitude]").value = position.coords.latitude.toFixed(6);
          form.querySelector("input[name=longitude]").value = position.coords.longitude.toFixed(6);
          var label = document.querySelector("[data-located]");
          if (label) {
            label.textContent = position.coords.latitude.toFixed(4) + ", " + position.coords.longitude.toFixed(4);
          }
        });
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "photo") {
          fields.push([name, value]);
        }
      });
      var input = form.querySelector("input[name=photo]");
      var file = input && input.files && input.files[0];
      var url = form.getAttribute("action") || window.location.pathname;
      compress(file).then(function (photo) {
        return send(url, fields, photo)
          .then(function (response) {
            if (response.status >= 500) {
              throw new Error("server " + response.status);
            }
            if (response.type === "opaqueredirect") {
              window.location.assign(form.getAttribute("data-done-url"));
              return null;
            }
            // Refused with a message (the form again): send it the ordinary way so the page shows why.
            HTMLFormElement.prototype.submit.call(form);
            return null;
          })
          .catch(function () {
            var keep = photo ? toDataUrl(photo) : Promise.resolve(null);
            return keep.then(function (dataUrl) {
              var list = drafts();
              list.push({ url: url, fields: fields, photo: dataUrl, saved: new Date().toISOString() });
              save(list);
              show(form.getAttribute("data-offline-message"), "warn");
            });
          });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-visit-form]");
    if (form) {
      attach(form);
    }
    resend();
    window.addEventListener("online", resend);
    window.setInterval(resend, 30000);
  });
})();
