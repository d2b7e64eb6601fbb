/* The Mini App: a seller's gallery, orders and balance inside Telegram.
 *
 * Plain JavaScript, no build step. Everything a user owns comes from /miniapp/api/, every call carrying Telegram's
 * signed initData in `Authorization: tma <initData>` (never a cookie: credentials are omitted). A 401 turns the
 * page into "Open this from the bot" and shows nothing else; a network failure or a server error offers a retry.
 * Texts come from the page's json_script in both languages, picked by the user's Telegram language (display only:
 * the API answers in the language it validated). Data is put in the page with textContent only, never as HTML.
 */
(function () {
  "use strict";

  var tg = window.Telegram && window.Telegram.WebApp;
  var catalogs = JSON.parse(document.getElementById("miniapp-words").textContent);
  var unsafeUser = (tg && tg.initDataUnsafe && tg.initDataUnsafe.user) || {};
  var lang = /^en/i.test(unsafeUser.language_code || "") ? "en" : "ru";
  var words = catalogs[lang] || catalogs.ru;
  var API = document.body.getAttribute("data-api") || "api/";
  var ORDERS_POLL_MS = 4000;
  var PAYMENT_POLL_MS = 1500;
  var PAYMENT_POLLS = 20;
  var BALANCE_CHECKS = 6;
  var BALANCE_CHECK_MS = 2000;

  var state = {
    dead: false,
    tab: "gallery",
    me: null,
    gallery: null,
    galleryNext: null,
    history: null,
    historyNext: null,
    ordersTimer: null,
    ordersSeq: 0,
  };

  var el = {
    tabs: document.getElementById("tabs"),
    view: document.getElementById("view"),
    notice: document.getElementById("notice"),
    noticeText: document.getElementById("notice-text"),
    noticeRetry: document.getElementById("notice-retry"),
    errorPage: document.getElementById("error-page"),
    errorMessage: document.getElementById("error-message"),
    sheet: document.getElementById("sheet"),
    sheetBody: document.getElementById("sheet-body"),
    toast: document.getElementById("toast"),
  };

  // --- Words ------------------------------------------------------------------------------------

  function t(key, values) {
    var text = words[key] || catalogs.ru[key] || key;
    return text.replace(/\{(\w+)\}/g, function (match, name) {
      return values && values[name] !== undefined ? String(values[name]) : match;
    });
  }

  function applyWords(root) {
    var nodes = root.querySelectorAll("[data-word]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = t(nodes[i].getAttribute("data-word"));
    }
  }

  function when(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleString(lang === "en" ? "en-GB" : "ru-RU", {
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  // --- Theme: Telegram's themeParams as CSS variables; light or dark from colorScheme ----------------

  function applyTheme() {
    var root = document.documentElement;
    var params = (tg && tg.themeParams) || {};
    Object.keys(params).forEach(function (name) {
      var value = String(params[name]);
      // Colours only (#rgb … #rrggbbaa): nothing else reaches the stylesheet.
      if (/^[a-z_]+$/.test(name) && /^#[0-9a-f]{3,8}$/i.test(value)) {
        root.style.setProperty("--tg-theme-" + name.replace(/_/g, "-"), value);
      }
    });
    root.setAttribute("data-theme", tg && tg.colorScheme === "dark" ? "dark" : "light");
  }

  // --- Building the page (textContent only) ---------------------------------------------------------

  function node(tag, attrs, children) {
    var element = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") element.textContent = value;
      else if (name === "onclick") element.addEventListener("click", value);
      else element.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return element;
  }

  function button(text, onclick, extraClass, attrs) {
    var options = Object.assign({ type: "button", class: "button" + (extraClass ? " " + extraClass : "") }, attrs || {});
    options.text = text;
    options.onclick = onclick;
    return node("button", options);
  }

  function replaceView(children) {
    if (state.dead) return;
    el.view.textContent = "";
    children.forEach(function (child) {
      if (child) el.view.appendChild(child);
    });
  }

  var toastTimer = null;
  function toast(text) {
    if (state.dead) return;
    el.toast.textContent = text;
    el.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      el.toast.hidden = true;
    }, 4000);
  }

  function showNotice(text, retry) {
    if (state.dead) return;
    el.noticeText.textContent = text;
    el.noticeRetry.hidden = !retry;
    el.noticeRetry.onclick = function () {
      el.notice.hidden = true;
      retry();
    };
    el.notice.hidden = false;
  }

  function hideNotice() {
    el.notice.hidden = true;
  }

  // Forged, stale or missing initData: nothing of a user stays on the page.
  function showErrorPage(message) {
    var wasDead = state.dead;
    state.dead = true;
    if (message) el.errorMessage.textContent = message;
    el.errorMessage.hidden = !el.errorMessage.textContent;
    if (wasDead) return;
    clearTimeout(state.ordersTimer);
    el.view.textContent = "";
    el.sheetBody.textContent = "";
    el.view.hidden = true;
    el.tabs.hidden = true;
    el.notice.hidden = true;
    el.sheet.hidden = true;
    el.toast.hidden = true;
    el.errorPage.hidden = false;
    if (tg && tg.BackButton) tg.BackButton.hide();
    document.documentElement.setAttribute("data-state", "unauthorized");
  }

  // --- The API ------------------------------------------------------------------------------------

  function Stop(reason) {
    this.reason = reason;
  }

  // Resolves {status, data} for 2xx and 4xx answers other than 401; rejects (after showing a notice with a retry
  // when `retry` is given) on a network failure or a server error, and turns the page into the error page on 401.
  function api(method, path, body, options) {
    options = options || {};
    if (state.dead) return Promise.reject(new Stop("dead"));
    var headers = { Authorization: "tma " + tg.initData, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    Object.assign(headers, options.headers || {});
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    }).then(
      function (response) {
        if (response.status === 401) {
          // The server may say why in the user's language (e.g. "press Start in the chat first"): plain text.
          return response.json().then(
            function (data) {
              showErrorPage(data && typeof data.message === "string" ? data.message : "");
              throw new Stop("unauthorized");
            },
            function () {
              showErrorPage("");
              throw new Stop("unauthorized");
            }
          );
        }
        return response.json().then(
          function (data) {
            if (response.status >= 500) throw new Stop("server");
            return { status: response.status, data: data || {} };
          },
          function () {
            throw new Stop("server");
          }
        ).catch(function (error) {
          if (error instanceof Stop && error.reason === "server") {
            if (options.retry) showNotice(t("failed"), options.retry);
            else if (!options.quiet) toast(t("failed"));
          }
          throw error;
        });
      },
      function () {
        if (options.retry) showNotice(t("network_error"), options.retry);
        else if (!options.quiet) toast(t("network_error"));
        throw new Stop("network");
      }
    );
  }

  function ignoreStop(error) {
    if (!(error instanceof Stop)) throw error;
  }

  function answerMessage(answer) {
    return (answer.data && answer.data.message) || t("failed");
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function haptic(kind) {
    try {
      if (tg.HapticFeedback) tg.HapticFeedback.notificationOccurred(kind);
    } catch (ignored) {
      /* an older client */
    }
  }

  // --- Tabs ----------------------------------------------------------------------------------------

  function selectTab(name) {
    if (state.dead) return;
    state.tab = name;
    var tabs = el.tabs.querySelectorAll("[data-tab]");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].setAttribute("aria-selected", tabs[i].getAttribute("data-tab") === name ? "true" : "false");
    }
    document.documentElement.setAttribute("data-tab", name);
    clearTimeout(state.ordersTimer);
    hideNotice();
    if (name === "gallery") showGallery();
    else if (name === "orders") showOrders();
    else showBalance();
  }

  function loading() {
    replaceView([node("p", { class: "hint", text: t("loading") })]);
  }

  // --- Gallery -------------------------------------------------------------------------------------

  function showGallery() {
    if (state.gallery) renderGallery();
    else loading();
    loadGallery(1);
  }

  function loadGallery(page) {
    return api("GET", "gallery?page=" + page, undefined, {
      retry: function () {
        loadGallery(page);
      },
    })
      .then(function (answer) {
        if (answer.status !== 200) throw new Stop("bad");
        var products = answer.data.products || [];
        if (page === 1) state.gallery = products;
        else mergeProducts(state.gallery, products);
        state.galleryNext = answer.data.next_page || null;
        if (state.tab === "gallery") renderGallery();
      })
      .catch(ignoreStop);
  }

  function mergeProducts(into, more) {
    more.forEach(function (product, index) {
      // A product whose items go on from the previous page: the same group (its key), or the same title.
      var last = into[into.length - 1];
      var same = last && (product.key !== undefined ? last.key === product.key : last.title === product.title);
      if (index === 0 && same) last.items = last.items.concat(product.items);
      else into.push(product);
    });
  }

  function renderGallery() {
    var products = state.gallery || [];
    if (!products.length) {
      replaceView([node("p", { class: "hint", id: "gallery-empty", text: t("empty_gallery") })]);
      return;
    }
    var sections = products.map(function (product) {
      return node("section", { class: "product" }, [
        node("h2", { text: product.title }),
        node(
          "div",
          { class: "grid" },
          product.items.map(function (item) {
            return galleryItem(item, product.title);
          })
        ),
      ]);
    });
    if (state.galleryNext) {
      sections.push(
        button(t("more"), function (event) {
          event.currentTarget.disabled = true;
          loadGallery(state.galleryNext);
        }, "secondary", { id: "gallery-more" })
      );
    }
    replaceView([node("div", { id: "gallery" }, sections)]);
  }

  function thumbnail(item, className) {
    if (item.thumb_url) {
      return node("img", { src: item.thumb_url, alt: item.template || "", loading: "lazy", class: className || "" });
    }
    return null;
  }

  function galleryItem(item, title) {
    var picture = thumbnail(item);
    return node(
      "button",
      {
        type: "button",
        class: "item",
        "data-id": item.id,
        "data-kind": item.kind,
        onclick: function () {
          openResult(item, title);
        },
      },
      [
        node("span", { class: "thumb" }, [picture || (item.kind === "video" ? "🎬" : "🖼")]),
        item.kind === "video" ? node("span", { class: "badge", text: "▶ " + t("kind_video") }) : null,
        node("span", { class: "caption", text: [item.template, when(item.created_at)].filter(Boolean).join(" · ") }),
      ]
    );
  }

  // --- One result: download, send to the chat again, make another ----------------------------------------

  function openSheet(children) {
    el.sheetBody.textContent = "";
    children.forEach(function (child) {
      if (child) el.sheetBody.appendChild(child);
    });
    el.sheet.hidden = false;
    if (tg.BackButton) {
      tg.BackButton.show();
    }
  }

  function closeSheet() {
    el.sheet.hidden = true;
    el.sheetBody.textContent = "";
    if (tg.BackButton) tg.BackButton.hide();
  }

  function download(item) {
    // The name the server gives the download too (generations.media_views.result_link): cards are JPEG, videos MP4.
    var fileName = (item.kind === "video" ? "video_" : "image_") + item.id + (item.kind === "video" ? ".mp4" : ".jpg");
    var canDownload =
      typeof tg.downloadFile === "function" && typeof tg.isVersionAtLeast === "function" && tg.isVersionAtLeast("8.0");
    if (canDownload) {
      tg.downloadFile({ url: item.download_url, file_name: fileName });
    } else if (typeof tg.openLink === "function") {
      tg.openLink(item.download_url);
    } else {
      window.open(item.download_url, "_blank", "noopener");
    }
  }

  function openResult(item, title) {
    // One key for this opening: a double tap on «Send to the chat» sends once.
    var sendKey = newKey();
    var preview =
      item.kind === "video" && item.download_url
        ? node("video", {
            class: "preview",
            src: item.download_url,
            poster: item.thumb_url || null,
            controls: true,
            playsinline: true,
            preload: "metadata",
          })
        : thumbnail(item, "preview") ||
          node("div", { class: "preview placeholder", text: item.kind === "video" ? "🎬" : "🖼" });
    var details = [item.template, item.model, when(item.created_at)].filter(Boolean).join(" · ");
    var sendButton = button(t("send"), function () {
      sendButton.disabled = true;
      api("POST", "generations/" + item.id + "/send", {}, { headers: { "Idempotency-Key": sendKey } })
        .then(function (answer) {
          if (answer.status === 200) {
            haptic("success");
            sendButton.textContent = t("sent");
            toast(t("sent"));
          } else {
            // Telegram did not take it: a new tap is a new try, so it gets a new key.
            if (answer.data && answer.data.error === "not_sent") sendKey = newKey();
            sendButton.disabled = false;
            toast(answerMessage(answer));
          }
        })
        .catch(function (error) {
          sendButton.disabled = false;
          ignoreStop(error);
        });
    }, "secondary", { id: "result-send" });
    var againButton = button(t("again"), function () {
      againButton.disabled = true;
      api("POST", "generations/" + item.id + "/again", {})
        .then(function (answer) {
          if (answer.status === 200) {
            toast(t("again_started"));
            setTimeout(function () {
              if (typeof tg.close === "function") tg.close();
            }, 700);
          } else {
            againButton.disabled = false;
            toast(answerMessage(answer));
          }
        })
        .catch(function (error) {
          againButton.disabled = false;
          ignoreStop(error);
        });
    }, "secondary", { id: "result-again" });
    openSheet([
      preview,
      node("h2", { text: title, class: "section-title" }),
      node("p", { class: "muted", text: details }),
      item.download_url
        ? button(t("download"), function () {
            download(item);
          }, "", { id: "result-download" })
        : null,
      sendButton,
      againButton,
      button(t("close"), closeSheet, "secondary", { id: "result-close" }),
    ]);
  }

  // --- In progress: live status, polled while shown ---------------------------------------------------

  function showOrders() {
    loading();
    pollOrders();
  }

  function pollOrders() {
    clearTimeout(state.ordersTimer);
    var seq = ++state.ordersSeq;
    api("GET", "orders", undefined, { retry: pollOrders })
      .then(function (answer) {
        if (state.tab !== "orders" || seq !== state.ordersSeq) return;
        if (answer.status === 200) renderOrders(answer.data.orders || []);
        scheduleOrders();
      })
      .catch(ignoreStop);
  }

  function scheduleOrders() {
    clearTimeout(state.ordersTimer);
    if (state.dead || state.tab !== "orders") return;
    state.ordersTimer = setTimeout(function () {
      if (state.tab !== "orders") return;
      if (document.hidden) scheduleOrders();
      else pollOrders();
    }, ORDERS_POLL_MS);
  }

  function renderOrders(orders) {
    if (!orders.length) {
      replaceView([node("p", { class: "hint", id: "orders-empty", text: t("empty_orders") })]);
      return;
    }
    replaceView([
      node(
        "div",
        { id: "orders" },
        orders.map(function (order) {
          var lines = [
            node("div", { class: "row" }, [
              node("span", { text: order.template || t(order.kind === "video" ? "kind_video" : "kind_image") }),
              node("span", { class: "status", text: order.status_text }),
            ]),
            node("div", { class: "muted", text: "#" + order.id + " · " + when(order.created_at) }),
          ];
          if (order.queue_position) {
            lines.push(node("div", { class: "muted queue", text: t("queue_position", { n: order.queue_position }) }));
          }
          if (order.can_cancel) {
            lines.push(
              button(t("cancel"), function () {
                confirmCancel(order);
              }, "danger", { "data-cancel": order.id })
            );
          }
          return node("div", { class: "card order", "data-id": order.id, "data-status": order.status }, lines);
        })
      ),
    ]);
  }

  function confirmCancel(order) {
    var yes = button(t("cancel_yes"), function () {
      yes.disabled = true;
      api("POST", "generations/" + order.id + "/cancel", {})
        .then(function (answer) {
          closeSheet();
          if (answer.status === 200) {
            haptic("success");
            toast(t("cancelled", { n: answer.data.refunded || 0 }));
            if (state.me && typeof answer.data.balance === "number") state.me.balance = answer.data.balance;
            state.history = null;
          } else {
            toast(answerMessage(answer));
          }
          if (state.tab === "orders") pollOrders();
        })
        .catch(function (error) {
          yes.disabled = false;
          ignoreStop(error);
        });
    }, "danger", { id: "cancel-yes" });
    openSheet([
      node("p", { text: t("cancel_confirm") }),
      node("p", { class: "muted", text: [order.template, "#" + order.id].filter(Boolean).join(" · ") }),
      yes,
      button(t("cancel_no"), closeSheet, "secondary", { id: "cancel-no" }),
    ]);
  }

  // --- Balance, packs and the credit history ------------------------------------------------------------

  function loadMe(options) {
    return api("GET", "me", undefined, options).then(function (answer) {
      if (answer.status !== 200) throw new Stop("bad");
      state.me = answer.data;
      return state.me;
    });
  }

  function showBalance() {
    if (state.me) renderBalance();
    else loading();
    var retry = function () {
      showBalance();
    };
    Promise.all([loadMe({ retry: retry }), loadHistory(1, { retry: retry })])
      .then(function () {
        if (state.tab === "balance") renderBalance();
      })
      .catch(ignoreStop);
  }

  function loadHistory(page, options) {
    return api("GET", "history?page=" + page, undefined, options).then(function (answer) {
      if (answer.status !== 200) throw new Stop("bad");
      var rows = answer.data.rows || [];
      state.history = page === 1 ? rows : (state.history || []).concat(rows);
      state.historyNext = answer.data.next_page || null;
    });
  }

  function packButtons(pack, methods) {
    var buttons = [];
    if (methods.indexOf("stars") !== -1 && pack.price_stars) {
      buttons.push(
        button(t("pay_stars", { n: pack.price_stars }), function (event) {
          buy(pack, "stars", event.currentTarget);
        }, "", { "data-buy": pack.id, "data-method": "stars" })
      );
    }
    if (methods.indexOf("yookassa") !== -1 && pack.price_rub) {
      var price = String(pack.price_rub).replace(/\.00$/, "");
      buttons.push(
        button(t("pay_rub", { price: price }), function (event) {
          buy(pack, "yookassa", event.currentTarget);
        }, "secondary", { "data-buy": pack.id, "data-method": "yookassa" })
      );
    }
    return buttons;
  }

  function renderBalance() {
    var me = state.me;
    if (!me) return;
    var methods = me.methods || [];
    var packs = (me.packs || []).filter(function (pack) {
      return packButtons(pack, methods).length;
    });
    var children = [
      node("div", { class: "balance" }, [
        node("div", { class: "balance-number", id: "balance", text: String(me.balance) }),
        node("div", { class: "muted", text: t("balance_caption") }),
      ]),
      node("h2", { class: "section-title", text: t("buy_title") }),
    ];
    if (!packs.length) children.push(node("p", { class: "muted", text: t("no_packs") }));
    packs.forEach(function (pack) {
      children.push(
        node("div", { class: "pack", "data-pack": pack.id }, [
          node("div", { class: "row" }, [
            node("strong", { text: pack.name }),
            node("span", { class: "muted", text: t("pack_credits", { n: pack.credits }) }),
          ]),
          node("div", { class: "pack-buttons" }, packButtons(pack, methods)),
        ])
      );
    });
    children.push(node("h2", { class: "section-title", text: t("history_title") }));
    var rows = state.history || [];
    if (!rows.length) children.push(node("p", { class: "muted", id: "history-empty", text: t("empty_history") }));
    children.push(
      node(
        "div",
        { id: "history" },
        rows.map(function (row) {
          var amount = Number(row.amount) || 0;
          return node("div", { class: "card history-row", "data-kind": row.kind }, [
            node("div", { class: "row" }, [
              node("span", { text: row.text }),
              node("span", {
                class: "amount " + (amount >= 0 ? "plus" : "minus"),
                text: (amount > 0 ? "+" : amount < 0 ? "−" : "") + Math.abs(amount),
              }),
            ]),
            node("div", { class: "muted", text: when(row.at) }),
          ]);
        })
      )
    );
    if (state.historyNext) {
      children.push(
        button(t("more"), function (event) {
          event.currentTarget.disabled = true;
          loadHistory(state.historyNext, {})
            .then(function () {
              if (state.tab === "balance") renderBalance();
            })
            .catch(ignoreStop);
        }, "secondary", { id: "history-more" })
      );
    }
    replaceView(children);
  }

  function buy(pack, method, pressed) {
    pressed.disabled = true;
    var before = state.me ? state.me.balance : 0;
    api("POST", "buy", { pack: pack.id, method: method })
      .then(function (answer) {
        pressed.disabled = false;
        if (answer.status !== 200) {
          toast(answerMessage(answer));
          return;
        }
        if (answer.data.method === "stars") payWithStars(answer.data, before);
        else payWithYooKassa(answer.data, before);
      })
      .catch(function (error) {
        pressed.disabled = false;
        ignoreStop(error);
      });
  }

  function payWithStars(payment, before) {
    // Credited by the bot's successful_payment, once; the page only looks at the balance again.
    if (typeof tg.openInvoice !== "function") {
      // A client older than invoices in Mini Apps (Bot API 6.1): the link still opens the invoice in Telegram.
      if (typeof tg.openTelegramLink === "function") tg.openTelegramLink(payment.invoice_link);
      else toast(t("failed"));
      return;
    }
    tg.openInvoice(payment.invoice_link, function (status) {
      if (status === "paid") {
        haptic("success");
        toast(t("stars_paid"));
        watchBalance(before, BALANCE_CHECKS);
      } else if (status === "cancelled") {
        toast(t("stars_cancelled"));
      } else if (status === "failed") {
        toast(t("stars_failed"));
      } else {
        toast(t("payment_opened"));
        watchBalance(before, BALANCE_CHECKS);
      }
    });
  }

  function payWithYooKassa(payment, before) {
    toast(t("payment_waiting"));
    var tries = 0;
    function poll() {
      tries += 1;
      api("GET", "payments/" + encodeURIComponent(payment.payment_id), undefined, { quiet: true })
        .then(function (answer) {
          var data = answer.data || {};
          if (answer.status === 200 && data.confirmation_url) {
            toast(t("payment_opened"));
            if (typeof tg.openLink === "function") tg.openLink(data.confirmation_url);
            else window.open(data.confirmation_url, "_blank", "noopener");
            watchBalance(before, BALANCE_CHECKS * 5);
          } else if (answer.status !== 200 || data.status === "failed" || data.status === "canceled") {
            toast(answerMessage(answer));
          } else if (tries < PAYMENT_POLLS) {
            setTimeout(poll, PAYMENT_POLL_MS);
          } else {
            toast(t("payment_slow"));
          }
        })
        .catch(function (error) {
          ignoreStop(error);
          if (!state.dead && tries < PAYMENT_POLLS) setTimeout(poll, PAYMENT_POLL_MS);
        });
    }
    poll();
  }

  // Looks at the balance a few times after a payment until the credits are there.
  function watchBalance(before, checks) {
    loadMe({ quiet: true })
      .then(function (me) {
        if (me.balance !== before) {
          state.history = null;
          if (state.tab === "balance") showBalance();
          return;
        }
        if (state.tab === "balance") renderBalance();
        if (checks > 1) {
          setTimeout(function () {
            watchBalance(before, checks - 1);
          }, BALANCE_CHECK_MS);
        }
      })
      .catch(function (error) {
        ignoreStop(error);
        if (!state.dead && checks > 1) {
          setTimeout(function () {
            watchBalance(before, checks - 1);
          }, BALANCE_CHECK_MS);
        }
      });
  }

  // --- Start -------------------------------------------------------------------------------------------

  function start() {
    document.documentElement.lang = lang;
    applyWords(document);
    applyTheme();
    if (!tg || !tg.initData) {
      showErrorPage();
      return;
    }
    if (typeof tg.onEvent === "function") tg.onEvent("themeChanged", applyTheme);
    if (tg.BackButton && typeof tg.BackButton.onClick === "function") tg.BackButton.onClick(closeSheet);
    if (typeof tg.ready === "function") tg.ready();
    if (typeof tg.expand === "function") tg.expand();
    el.sheet.addEventListener("click", function (event) {
      if (event.target === el.sheet) closeSheet();
    });
    var tabs = el.tabs.querySelectorAll("[data-tab]");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].addEventListener("click", function (event) {
        selectTab(event.currentTarget.getAttribute("data-tab"));
      });
    }
    document.addEventListener("visibilitychange", function () {
      if (document.hidden || state.dead) return;
      if (state.tab === "orders") pollOrders();
      else if (state.tab === "balance") showBalance();
    });
    el.tabs.hidden = false;
    document.documentElement.setAttribute("data-state", "ready");
    // The balance and packs in the background: the Balance tab opens with them.
    loadMe({ quiet: true }).catch(ignoreStop);
    selectTab("gallery");
  }

  start();
})();
