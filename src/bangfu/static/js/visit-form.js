/* The visit form on a phone with a weak signal (monitoring/visit_form.html, my_households.html).

   - The form gets a random client_id when it is opened, so that the server stores a visit sent twice once.
   - A chosen photo is scaled down (longest side 1280 px, JPEG) before it is sent.
   - "记录位置" fills the hidden latitude/longitude from the phone, if the user allows it.
   - The form is sent with fetch asking for JSON. 201: stored — go on to the list. 422: refused — the form is
     sent again the ordinary way so that the page shows why. Anything else (no network, a 5xx, a login page
     because the session ended, a CSRF refusal) keeps the filled form as a draft in localStorage (per user,
     the photo as a data URL).
   - Drafts are sent again when the phone is back online, when a page with this script loads, and every 30
     seconds, with the current page's CSRF token. A draft is dropped only when the server confirms it stored
     the visit (201) or refused it (422, the reason shown); a login page leaves it for after the login.

   Everything is declared by data attributes (the CSP allows no inline script): data-visit-form on the form,
   data-visit-status / data-visit-drafts for messages, data-locate / data-located for the location,
   data-user (whose drafts), data-done-url, and the message texts. */
(function () {
  "use strict";

  var MAX_SIDE = 1280;

  function holder() {
    return document.querySelector("[data-visit-form]") || document.querySelector("[data-visit-drafts]");
  }

  function storageKey() {
    var element = holder();
    return "bangfu.visit-drafts." + ((element && element.getAttribute("data-user")) || "anonymous");
  }

  function text(name) {
    var element = holder();
    return (element && element.getAttribute(name)) || "";
  }

  function drafts() {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey()) || "[]");
    } catch (error) {
      return [];
    }
  }

  // Returns false when the phone's storage is full.
  function save(list) {
    try {
      window.localStorage.setItem(storageKey(), JSON.stringify(list));
      return true;
    } catch (error) {
      return false;
    }
  }

  function clientIdOf(fields) {
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i][0] === "client_id") {
        return fields[i][1];
      }
    }
    return "";
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

  function show(message, kind) {
    var box = document.querySelector("[data-visit-status]") || document.querySelector("[data-visit-drafts]");
    if (!box || !message) {
      return;
    }
    box.textContent = message;
    box.classList.remove("d-none", "alert-warning", "alert-success");
    box.classList.add(kind === "ok" ? "alert-success" : "alert-warning");
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

  function currentToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // One send; resolves to the fetch Response, rejects on a network failure. "manual": a redirect (the
  // login page when the session ended) comes back as an opaque response instead of being followed.
  function send(url, fields, photo) {
    var body = new FormData();
    var token = currentToken();
    fields.forEach(function (pair) {
      body.append(pair[0], pair[0] === "csrfmiddlewaretoken" && token ? token : pair[1]);
    });
    if (photo) {
      body.append("photo", photo, "visit.jpg");
    }
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json" },
    });
  }

  function keep(draft) {
    var list = drafts();
    list.push(draft);
    if (save(list)) {
      return true;
    }
    // The phone's storage is full: keep the visit without its photo rather than lose it.
    list[list.length - 1].photo = null;
    return save(list) ? "nophoto" : false;
  }

  var resending = false;

  function resend() {
    var list = drafts();
    if (resending || !list.length || navigator.onLine === false) {
      return Promise.resolve();
    }
    resending = true;
    var done = {};
    var refusals = [];
    var loginNeeded = false;
    var chain = Promise.resolve();
    list.forEach(function (draft) {
      chain = chain.then(function () {
        return send(draft.url, draft.fields, draft.photo ? fromDataUrl(draft.photo) : null)
          .then(function (response) {
            var id = clientIdOf(draft.fields);
            if (response.status === 201) {
              done[id] = true;
            } else if (response.status === 422) {
              done[id] = true;
              return response.json().then(function (answer) { refusals.push(answer.message || ""); }, function () {});
            } else if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
              loginNeeded = true;
            }
            return null;
          })
          .catch(function () {});
      });
    });
    return chain.then(function () {
      // Read the list again: a draft saved meanwhile (another tab, a failed send) stays.
      var left = drafts().filter(function (draft) { return !done[clientIdOf(draft.fields)]; });
      save(left);
      resending = false;
      if (refusals.length) {
        show(text("data-refused-message") + refusals.join("；"), "warn");
      } else if (loginNeeded) {
        show(text("data-login-message"), "warn");
      } else if (Object.keys(done).length) {
        show(text("data-sent-message"), "ok");
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
        function asDraft(message) {
          var stored = photo ? toDataUrl(photo) : Promise.resolve(null);
          return stored.then(function (dataUrl) {
            var kept = keep({ url: url, fields: fields, photo: dataUrl, saved: new Date().toISOString() });
            if (kept === false) {
              show(text("data-full-message"), "warn");
            } else {
              show(message + (kept === "nophoto" ? text("data-nophoto-message") : ""), "warn");
            }
          });
        }
        return send(url, fields, photo)
          .then(function (response) {
            if (response.status === 201) {
              window.location.assign(form.getAttribute("data-done-url"));
              return null;
            }
            if (response.status === 422) {
              // Refused with a message: send it the ordinary way so the page shows why.
              HTMLFormElement.prototype.submit.call(form);
              return null;
            }
            if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
              return asDraft(text("data-login-message"));
            }
            return asDraft(text("data-offline-message"));
          })
          .catch(function () { return asDraft(text("data-offline-message")); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-visit-form]");
    if (form) {
      attach(form);
    }
    if (holder()) {
      resend();
      window.addEventListener("online", resend);
      window.setInterval(resend, 30000);
    }
  });
})();
