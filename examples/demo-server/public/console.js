// The demo's web console: sign in (with a password and a second factor once it is on, or through a
// sign-in provider), then manage API keys, sessions, two-factor authentication and linked sign-in
// providers and read the access log, all through the JSON API under /api/auth. Without an account
// or a password, the email flows: forgot password, sign-up, and the pages their emailed links open;
// and, when the demo has no mail server, the Outbox page that shows what it sent. Plain browser
// JavaScript, no build step.
//
// Two rules hold throughout. Data from the server is inserted with textContent or text nodes,
// never as HTML; and the page has no inline script, style or event handler, so it runs under
// `Content-Security-Policy: default-src 'self'` (with data: images for the QR code). A new key, a
// TOTP secret and recovery codes live only in the text of their boxes: never in storage, a cookie or
// the URL, and they are gone once the box is dismissed or the page reloads. An emailed link's token
// is taken off the address bar as the page opens, and kept only until it is used.
"use strict";

(function portcullisConsole() {
  const PAGES = ["keys", "sessions", "access-log", "mfa", "account", "users", "outbox"];
  /** Refusals meaning the session is gone: the console goes back to the sign-in form. */
  const SIGNED_OUT = new Set(["missing_credentials", "session_expired"]);
  const KEY_STATUSES = new Set(["active", "expired", "revoked"]);
  /** Six digits is a code from the app; anything else is sent as a recovery code. */
  const TOTP_CODE = /^[0-9]{6}$/;
  /**
   * What a sign-in through a provider that came back with `?oauth_error=<code>` tells the reader.
   * `mfa_required` is not here: it leads to the code step.
   */
  const OAUTH_ERRORS = {
    oauth_denied: "The sign-in was cancelled at the provider, or the provider did not grant access.",
    oauth_failed: "The provider's answer could not be verified. Start again.",
    oauth_invalid_state: "That sign-in could not be matched to one started in this browser: it took too long, was already used, or began at another address. Start again.",
    provider_unavailable: "The sign-in provider did not answer. Try again in a moment.",
    email_unverified: "The provider has not verified your email address, so it cannot sign you in here.",
    signup_closed: "No account here is linked to that sign-in, and new accounts cannot be made with it.",
    account_exists: "An account with that email already exists. Sign in to it with its password, then link the provider on its Account page.",
    identity_in_use: "That account at the provider is already linked to another user here.",
    sso_required: "Accounts with this email sign in through their organization's single sign-on.",
    not_found: "That sign-in provider is not configured here.",
    rate_limit_exceeded: "Too many sign-in attempts. Wait a minute, then try again.",
  };
  /** Set before the console leaves for a provider to link an account: back, it opens the Account page. */
  const RETURN_TO_ACCOUNT = "portcullis-console-return-to-account";
  /** A path on this site (not `//host`), as the server's sign-in URLs are. */
  const SITE_PATH = /^\/(?![/\\])/;
  /** Web addresses in an email's text: the outbox makes those of this site clickable. */
  const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;
  /**
   * The pages the emailed links open (the server answers each with this console), with the token in
   * the fragment: what each asks for, and the API call that uses the token.
   */
  const LINK_PAGES = {
    "/reset-password": {
      password: true,
      title: "Set a new password",
      hint: "Choose a new password for your account. Every browser signed in to it is signed out.",
      submit: "Set password",
      path: "/api/auth/password/reset",
      body: (token, password) => ({ token, new_password: password }),
      done: (answer) => `Your password is set${answer.sessions_revoked > 0 ? ", and every session of the account is signed out" : ""}. Sign in with it.`,
    },
    "/sign-up": {
      password: true,
      title: "Finish signing up",
      hint: "Choose the password of your new account.",
      submit: "Create account",
      path: "/api/auth/signup/complete",
      body: (token, password) => ({ token, password }),
      done: (answer) => `The account ${answer.user.email} is ready. Sign in with your new password.`,
    },
    "/accept-invitation": {
      password: true,
      title: "Accept your invitation",
      hint: "Choose the password of your new account.",
      submit: "Create account",
      path: "/api/auth/invitations/accept",
      body: (token, password) => ({ token, password }),
      done: (answer) => `The account ${answer.user.email} (${answer.user.role}) is ready. Sign in with your new password.`,
    },
    "/verify-email": {
      password: false,
      title: "Confirm your new email address",
      hint: "Once confirmed, your account signs in with this address.",
      submit: "Confirm",
      path: "/api/auth/email/verify",
      body: (token) => ({ token }),
      done: (answer) => `Your account's email is now ${answer.email}.`,
    },
  };

  /** A refused or failed API call, with the server's code and its readable `detail`. */
  class ApiError extends Error {
    constructor(status, code, detail, data = null) {
      super(detail);
      this.name = "ApiError";
      this.status = status;
      this.code = code;
      this.data = data; // the refusal's JSON body, such as mfa_required's `methods`
    }
  }

  const state = {
    user: null, scopes: [], keys: new Map(), keysCursor: null, keysLoad: 0, reauth: null, providers: [], identities: new Map(),
    /** Whether GET /api/demo/outbox answers this browser (no SMTP_URL, on this machine). */
    outbox: false,
    /** The second factors the pending sign-in offers, and whether its code field takes a code sent by email. */
    signInMethods: [], codeByEmail: false,
    /** An emailed link's token, from the moment the page opened until it is used. */
    linkToken: null,
    /** Codes by email on the MFA page: whether they are on (what the code field turns them to). */
    emailCodes: false,
  };

  function byId(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`console: the page has no #${id}`);
    return node;
  }

  /** Builds an element; strings among the children become text nodes, never markup. */
  function h(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (name === "testid") node.dataset.testid = String(value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function setMessage(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  function messageOf(error) {
    if (error instanceof ApiError) return error.message;
    return `Something went wrong in the console (${error && error.message ? error.message : error}). Reload the page to try again.`;
  }

  /** Shows an error in a page's alert area, unless the console has just gone back to sign-in. */
  function report(node, error) {
    if (error && error.signedOut) return;
    setMessage(node, messageOf(error));
  }

  async function busy(button, work) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      return await work();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  // ---- The API -------------------------------------------------------------------------------

  /** One request; resolves to the parsed JSON (null for 204), rejects with an ApiError. */
  async function send(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, "network_error", "The server could not be reached. Check that the demo is running, then try again.");
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (response.ok) {
      if (data === null) throw new ApiError(response.status, "bad_response", "The server's answer was not the JSON the console expected.");
      return data;
    }
    throw refusalOf(response, data);
  }

  /** The ApiError for a refused request and its parsed JSON body (null when it had none). */
  function refusalOf(response, data) {
    const code = data && typeof data.error === "string" ? data.error : `http_${response.status}`;
    let detail = data && typeof data.detail === "string" && data.detail ? data.detail : `The server answered ${response.status} ${response.statusText}`.trim() + ".";
    const retryAfter = response.headers.get("Retry-After");
    if (response.status === 429 && retryAfter && /^\d+$/.test(retryAfter)) detail += ` Try again in ${retryAfter} seconds.`;
    return new ApiError(response.status, code, detail, data);
  }

  /**
   * A call from a signed-in page. When the server wants a recent password check it asks for the
   * password and retries once; when the session has ended it goes back to the sign-in form.
   */
  async function api(method, path, body, reauthenticated = false) {
    try {
      return await send(method, path, body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code === "reauthentication_required" && !reauthenticated) {
        await confirmPassword();
        return api(method, path, body, true);
      }
      if (error.status === 401 && SIGNED_OUT.has(error.code)) {
        showSignIn(error.code === "session_expired" ? error.message : "Your session has ended; sign in again.");
        error.signedOut = true;
      }
      throw error;
    }
  }

  // ---- Formatting ----------------------------------------------------------------------------

  /** "Nov 23, 12:06 PM" in the reader's locale; the year only when it is not this one. */
  function formatTime(iso, withSeconds = false) {
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return String(iso);
    return at.toLocaleString(undefined, {
      ...(at.getFullYear() === new Date().getFullYear() ? {} : { year: "numeric" }),
      month: "short",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      ...(withSeconds ? { second: "2-digit" } : {}),
    });
  }

  function time(iso, { none = "—", withSeconds = false } = {}) {
    if (!iso) return h("span", { class: "muted", text: none });
    return h("time", { datetime: iso, title: iso, text: formatTime(iso, withSeconds) });
  }

  function describeAgent(userAgent) {
    if (!userAgent) return "Unknown device";
    const browser =
      [["Edg/", "Edge"], ["Firefox/", "Firefox"], ["HeadlessChrome/", "Headless Chrome"], ["Chrome/", "Chrome"], ["Safari/", "Safari"], ["curl/", "curl"]]
        .find(([token]) => userAgent.includes(token))?.[1];
    const system =
      [["Android", "Android"], ["iPhone", "iOS"], ["iPad", "iPadOS"], ["Windows", "Windows"], ["Mac OS X", "macOS"], ["Linux", "Linux"]]
        .find(([token]) => userAgent.includes(token))?.[1];
    if (!browser) return userAgent.length > 48 ? `${userAgent.slice(0, 47)}…` : userAgent;
    return system ? `${browser} on ${system}` : browser;
  }

  const displayIp = (ip) => (ip ? ip.replace(/^::ffff:/, "") : "—");

  // ---- Signing in and out, and the pages -----------------------------------------------------

  function showSignIn(notice) {
    state.user = null;
    state.scopes = [];
    resetApp();
    byId("boot").hidden = true;
    byId("app-view").hidden = true;
    byId("account").hidden = true;
    byId("link-view").hidden = true;
    byId("outbox-view").hidden = true;
    byId("topbar-outbox").hidden = !state.outbox;
    byId("signin-view").hidden = false;
    byId("signin-providers").hidden = state.providers.length === 0;
    showPasswordStep();
    setMessage(byId("signin-notice"), notice);
    setMessage(byId("signin-error"), "");
    byId("signin-email").focus();
  }

  /** Back to the email and password form (the first step of a sign-in). */
  function showPasswordStep() {
    byId("mfa-signin-code").value = "";
    setMessage(byId("mfa-signin-error"), "");
    setMessage(byId("mfa-signin-status"), "");
    for (const id of ["mfa-signin-form", "forgot-form", "signup-form"]) byId(id).hidden = true;
    byId("signin-form").hidden = false;
  }

  /** The forgot-password or the sign-up form, with the email typed so far. */
  function showEmailForm(id) {
    const typed = byId("signin-email").value.trim();
    byId("signin-form").hidden = true;
    const form = byId(id);
    form.reset();
    for (const node of form.querySelectorAll(".message, .notice")) setMessage(node, "");
    form.querySelector("input[type=email]").value = typed;
    form.hidden = false;
    form.querySelector("input[type=email]").focus();
  }

  /**
   * The password was right and the account has a second factor: ask for a code. `methods` are
   * those the server offers (unknown after a provider's sign-in): with "email_code", a code can be
   * sent by email, and without "totp" every 6-digit code typed is one.
   */
  function showCodeStep(methods = []) {
    state.signInMethods = methods;
    state.codeByEmail = methods.includes("email_code") && !methods.includes("totp");
    const byEmail = methods.includes("email_code");
    const ways = [
      methods.includes("totp") || methods.length === 0 ? "the 6-digit code your authenticator app shows" : null,
      byEmail ? "a code sent to your email (ask for one below)" : null,
      methods.includes("recovery_code") || methods.length === 0 ? "one of your recovery codes" : null,
    ].filter(Boolean);
    byId("mfa-signin-hint").textContent = `Enter ${ways.length > 1 ? `${ways.slice(0, -1).join(", ")} or ${ways.at(-1)}` : ways[0]}.`;
    byId("mfa-signin-email").hidden = !byEmail;
    byId("signin-form").hidden = true;
    setMessage(byId("mfa-signin-error"), "");
    setMessage(byId("mfa-signin-status"), "");
    byId("mfa-signin-code").value = "";
    byId("mfa-signin-form").hidden = false;
    byId("mfa-signin-code").focus();
  }

  /** `{ code }` for six digits (`{ email_code }` once one was sent by email), `{ recovery_code }` for anything else. */
  function secondFactorOf(typed, byEmail = false) {
    const value = typed.trim();
    if (!TOTP_CODE.test(value)) return { recovery_code: value };
    return byEmail ? { email_code: value } : { code: value };
  }

  /** Resolves once the page shown has loaded. */
  function showApp(me) {
    state.user = me.user;
    state.scopes = Array.isArray(me.scopes) ? me.scopes : [];
    byId("topbar-outbox").hidden = true; // the navigation has it
    byId("outbox-view").hidden = true;
    byId("app-content").append(byId("page-outbox"));
    byId("nav-outbox").hidden = !state.outbox;
    byId("nav-users").hidden = !state.scopes.includes("admin");
    byId("account-email").textContent = me.user.email;
    byId("account-role").textContent = me.user.role;
    byId("boot").hidden = true;
    byId("signin-view").hidden = true;
    byId("account").hidden = false;
    byId("app-view").hidden = false;
    return route();
  }

  /** Forgets everything the last user saw, the new-key box and any secret or recovery code first. */
  function resetApp() {
    dismissKey();
    resetMfa();
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close("cancel");
    for (const id of ["keys-body", "sessions-body", "access-log-body", "identities-body"]) byId(id).replaceChildren();
    for (const id of ["keys-error", "keys-status", "sessions-error", "sessions-status", "access-log-error", "mfa-error", "mfa-message", "account-error", "account-status", "users-error", "users-status", "outbox-error"]) setMessage(byId(id), "");
    byId("account-password").textContent = "";
    byId("outbox-list").replaceChildren();
    for (const id of ["email-form", "invite-form"]) byId(id).reset();
    state.identities.clear();
    byId("create-key-form").reset();
    state.keys.clear();
    state.keysCursor = null;
  }

  /** The page the fragment names, when this user may see it; the keys otherwise. */
  function currentPage() {
    const page = location.hash.slice(1);
    if (!PAGES.includes(page)) return "keys";
    if (page === "outbox" && !state.outbox) return "keys";
    if (page === "users" && !state.scopes.includes("admin")) return "keys";
    return page;
  }

  async function route() {
    if (!state.user) {
      // Signed out, the Outbox page stands alone; any other fragment is the sign-in form.
      if (!byId("link-view").hidden) return;
      if (location.hash === "#outbox" && state.outbox) return showOutboxSignedOut();
      if (!byId("outbox-view").hidden) showSignIn();
      return;
    }
    const page = currentPage();
    for (const name of PAGES) byId(`page-${name}`).hidden = name !== page;
    for (const link of document.querySelectorAll(".nav a[data-page]")) {
      if (link.dataset.page === page) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    await ({ keys: loadKeys, sessions: loadSessions, "access-log": loadAccessLog, mfa: loadMfa, account: loadAccount, users: loadUsers, outbox: loadOutbox })[page]();
  }

  async function signIn(event) {
    event.preventDefault();
    const email = byId("signin-email").value.trim();
    const password = byId("signin-password");
    const error = byId("signin-error");
    if (!email || !password.value) return setMessage(error, "Enter your email and your password.");
    await busy(byId("signin-form").querySelector("button[type=submit]"), async () => {
      try {
        const me = await send("POST", "/api/auth/login", { email, password: password.value });
        password.value = "";
        showApp(me);
      } catch (failure) {
        if (failure instanceof ApiError && failure.code === "mfa_required") {
          password.value = "";
          return showCodeStep(Array.isArray(failure.data?.methods) ? failure.data.methods : []);
        }
        setMessage(error, messageOf(failure));
        password.select();
      }
    });
  }

  async function submitSignInCode(event) {
    event.preventDefault();
    const input = byId("mfa-signin-code");
    const error = byId("mfa-signin-error");
    if (!input.value.trim()) return setMessage(error, "Enter the code from your authenticator app, or a recovery code.");
    await busy(byId("mfa-signin-form").querySelector("button[type=submit]"), async () => {
      try {
        const me = await send("POST", "/api/auth/login/mfa", secondFactorOf(input.value, state.codeByEmail));
        input.value = "";
        showApp(me);
      } catch (failure) {
        setMessage(error, messageOf(failure));
        input.select();
      }
    });
  }

  /** Sends the pending sign-in's code by email; from then on the code field takes that code. */
  async function sendSignInCode() {
    const status = byId("mfa-signin-status");
    setMessage(byId("mfa-signin-error"), "");
    await busy(byId("mfa-signin-email"), async () => {
      try {
        await send("POST", "/api/auth/login/mfa/email-code");
        state.codeByEmail = true;
        setMessage(status, "A code is on its way to your email. It works once, for 10 minutes.");
        byId("mfa-signin-code").focus();
      } catch (failure) {
        setMessage(status, "");
        setMessage(byId("mfa-signin-error"), messageOf(failure));
      }
    });
  }

  /** The forgot-password and sign-up forms: each posts an email and shows the server's answer, alike for every address. */
  function emailRequest(form, path) {
    return async (event) => {
      event.preventDefault();
      const node = byId(form);
      const email = node.querySelector("input[type=email]").value.trim();
      const error = node.querySelector(".message.error");
      const status = node.querySelector(".notice");
      setMessage(status, "");
      if (!email) return setMessage(error, "Enter your email.");
      await busy(node.querySelector("button[type=submit]"), async () => {
        try {
          const answer = await send("POST", path, { email });
          setMessage(error, "");
          setMessage(status, answer.detail);
        } catch (failure) {
          setMessage(error, messageOf(failure));
        }
      });
    };
  }

  async function signOut() {
    await busy(byId("sign-out"), async () => {
      try {
        await send("POST", "/api/auth/logout");
        showSignIn("You have signed out.");
      } catch (error) {
        showGlobalError(error);
      }
    });
  }

  // ---- Settings › API Keys -------------------------------------------------------------------

  function loadingRow(body, columns) {
    if (body.children.length === 0) body.append(h("tr", {}, [h("td", { colspan: columns, class: "muted", text: "Loading…" })]));
  }

  async function loadKeys(more = false) {
    const body = byId("keys-body");
    const ticket = ++state.keysLoad; // a later load wins over one still on its way
    if (!more) loadingRow(body, 8);
    try {
      // The console shows every key with its status; the API lists working keys unless asked.
      const query = `?status=all${more && state.keysCursor ? `&cursor=${encodeURIComponent(state.keysCursor)}` : ""}`;
      const page = await api("GET", `/api/auth/api-keys${query}`);
      if (ticket !== state.keysLoad) return;
      if (!more) {
        body.replaceChildren();
        state.keys.clear();
      }
      for (const key of page.keys) state.keys.set(key.key_id, key);
      body.append(...page.keys.map(keyRow));
      state.keysCursor = page.next_cursor;
      byId("keys-more").hidden = !page.next_cursor;
      byId("keys-empty").hidden = body.children.length > 0;
      setMessage(byId("keys-error"), "");
    } catch (error) {
      if (ticket !== state.keysLoad) return;
      if (!more) body.replaceChildren();
      report(byId("keys-error"), error);
    }
  }

  function keyRow(key) {
    const status = KEY_STATUSES.has(key.status) ? key.status : "other";
    // An active key that was rotated is in its grace period: it can be ended early, not rotated again.
    const actions = key.status !== "active" ? [] : [
      key.rotated_to ? null : h("button", { type: "button", class: "secondary small", "data-action": "rotate", testid: "rotate-key", "aria-label": `Rotate ${key.name}`, text: "Rotate" }),
      h("button", { type: "button", class: "danger small", "data-action": "revoke", testid: "revoke-key", "aria-label": `Revoke ${key.name}`, text: "Revoke" }),
    ];
    return h("tr", { testid: "key-row", "data-key-id": key.key_id }, [
      h("td", { class: "name", testid: "key-name", text: key.name }),
      h("td", {}, [h("code", { class: "preview", testid: "key-preview", text: key.preview })]),
      h("td", { class: "scopes", testid: "key-scopes" }, key.scopes.map((scope) => h("span", { class: "scope", text: scope }))),
      h("td", {}, [
        h("span", { class: `badge status-${status}`, testid: "key-status", text: key.status }),
        key.rotated_to ? h("span", { class: "muted small", text: " replaced" }) : null,
      ]),
      h("td", {}, [time(key.created_at)]),
      h("td", {}, [time(key.last_used_at, { none: "Never" })]),
      h("td", {}, [time(key.expires_at, { none: "Never" })]),
      h("td", { class: "actions" }, actions),
    ]);
  }

  async function createKey(event) {
    event.preventDefault();
    const form = byId("create-key-form");
    const error = byId("keys-error");
    const name = byId("key-name").value.trim();
    const scopes = Array.from(form.querySelectorAll("input[name=scope]:checked"), (box) => box.value);
    const expiresIn = byId("key-expiry").value;
    setMessage(byId("keys-status"), "");
    if (!name) {
      byId("key-name").focus();
      return setMessage(error, "Give the key a name, such as the service that will use it.");
    }
    if (scopes.length === 0) return setMessage(error, "Choose at least one scope.");
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const created = await api("POST", "/api/auth/api-keys", { name, scopes, ...(expiresIn ? { expires_in: Number(expiresIn) } : {}) });
        form.reset();
        setMessage(error, "");
        showNewKey(created);
        await loadKeys();
      } catch (failure) {
        report(error, failure);
      }
    });
  }

  async function onKeyAction(event) {
    const button = event.target.closest("button[data-action]");
    const key = button && state.keys.get(button.closest("tr").dataset.keyId);
    if (!key) return;
    if (button.dataset.action === "revoke") await revokeKey(key, button);
    else await rotateKey(key, button);
  }

  async function revokeKey(key, button) {
    const confirmed = await confirmAction({
      title: `Revoke “${key.name}”?`,
      text: `Requests made with ${key.preview} will be refused from now on. This cannot be undone.`,
      confirm: "Revoke key",
    });
    if (!confirmed) return;
    await busy(button, async () => {
      try {
        await api("DELETE", `/api/auth/api-keys/${encodeURIComponent(key.key_id)}`);
        setMessage(byId("keys-error"), "");
        setMessage(byId("keys-status"), `Revoked “${key.name}”.`);
        await loadKeys();
      } catch (error) {
        report(byId("keys-error"), error);
      }
    });
  }

  async function rotateKey(key, button) {
    const confirmed = await confirmAction({
      title: `Rotate “${key.name}”?`,
      text: `A new key with the same name and scopes replaces ${key.preview}.`,
      confirm: "Rotate key",
      grace: true,
    });
    if (!confirmed) return;
    const grace = Number(byId("grace-period").value);
    await busy(button, async () => {
      try {
        const rotated = await api("POST", `/api/auth/api-keys/${encodeURIComponent(key.key_id)}/rotate`, { grace_period_seconds: grace });
        setMessage(byId("keys-error"), "");
        setMessage(byId("keys-status"), "");
        showNewKey(rotated, rotated.previous);
        await loadKeys();
      } catch (error) {
        report(byId("keys-error"), error);
      }
    });
  }

  /** The full key, once: only in this box's text, until it is dismissed or the page reloads. */
  function showNewKey(record, previous) {
    byId("new-key-title").textContent = previous ? `Rotated key: ${record.name}` : `New key: ${record.name}`;
    byId("new-key-value").textContent = record.key;
    let note = "";
    if (previous) {
      note = previous.status === "active" && previous.expires_at
        ? `The old key ${previous.preview} keeps working until ${formatTime(previous.expires_at)}.`
        : `The old key ${previous.preview} no longer works.`;
    }
    setMessage(byId("new-key-note"), note);
    byId("copy-status").textContent = "";
    const box = byId("new-key");
    box.hidden = false;
    box.focus();
  }

  function dismissKey() {
    byId("new-key-value").textContent = "";
    byId("copy-status").textContent = "";
    byId("new-key").hidden = true;
    window.getSelection()?.removeAllRanges();
  }

  async function copyKey() {
    const value = byId("new-key-value");
    const status = byId("copy-status");
    try {
      if (!navigator.clipboard) throw new Error("no clipboard here");
      await navigator.clipboard.writeText(value.textContent);
      status.textContent = "Copied to the clipboard.";
    } catch {
      // Without the clipboard API (an insecure origin, a denied permission) the key is selected.
      const range = document.createRange();
      range.selectNodeContents(value);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      status.textContent = "The browser did not allow copying: the key is selected, so press Ctrl+C (⌘C on a Mac).";
    }
  }

  // ---- Sessions ------------------------------------------------------------------------------

  async function loadSessions() {
    const body = byId("sessions-body");
    loadingRow(body, 5);
    try {
      const { sessions } = await api("GET", "/api/auth/sessions");
      body.replaceChildren(...sessions.map(sessionRow));
      byId("revoke-others").disabled = !sessions.some((session) => !session.current);
      setMessage(byId("sessions-error"), "");
    } catch (error) {
      body.replaceChildren();
      report(byId("sessions-error"), error);
    }
  }

  function sessionRow(session) {
    const device = describeAgent(session.user_agent);
    return h("tr", { testid: "session-row", "data-session-id": session.id, class: session.current ? "current" : null }, [
      h("td", {}, [
        h("span", { title: session.user_agent || null, text: device }),
        session.current ? h("span", { class: "badge current", testid: "current-session", text: "This browser" }) : null,
      ]),
      h("td", { text: displayIp(session.ip) }),
      h("td", {}, [time(session.created_at)]),
      h("td", {}, [time(session.last_seen_at)]),
      h("td", { class: "actions" }, session.current ? [] : [
        h("button", { type: "button", class: "danger small", "data-session-id": session.id, testid: "revoke-session", "aria-label": `Revoke the session of ${device}`, text: "Revoke" }),
      ]),
    ]);
  }

  async function onSessionAction(event) {
    const button = event.target.closest("button[data-session-id]");
    if (!button) return;
    await busy(button, async () => {
      try {
        await api("DELETE", `/api/auth/sessions/${encodeURIComponent(button.dataset.sessionId)}`);
        setMessage(byId("sessions-status"), "That session is signed out.");
        await loadSessions();
      } catch (error) {
        report(byId("sessions-error"), error);
      }
    });
  }

  async function revokeOtherSessions() {
    await busy(byId("revoke-others"), async () => {
      try {
        const { revoked } = await api("POST", "/api/auth/sessions/revoke-others");
        setMessage(byId("sessions-status"), revoked === 1 ? "Signed out 1 other session." : `Signed out ${revoked} other sessions.`);
        await loadSessions();
      } catch (error) {
        report(byId("sessions-error"), error);
      }
    });
  }

  // ---- Access log ----------------------------------------------------------------------------

  async function loadAccessLog() {
    const body = byId("access-log-body");
    const wrap = byId("access-log-wrap");
    const empty = byId("access-log-empty");
    loadingRow(body, 7);
    try {
      const { events } = await api("GET", "/api/auth/audit?limit=50");
      body.replaceChildren(...events.map(eventRow));
      wrap.hidden = false;
      empty.hidden = events.length > 0;
      setMessage(byId("access-log-error"), "");
    } catch (error) {
      body.replaceChildren();
      if (error instanceof ApiError && error.status === 403) wrap.hidden = true; // only the server's reason, no empty table
      empty.hidden = true;
      report(byId("access-log-error"), error);
    }
  }

  function eventRow(event) {
    let who = h("span", { class: "muted", text: "—" });
    if (event.key_id) who = h("code", { title: "API key", text: event.key_id });
    else if (event.user_id) who = h("span", { text: state.user && event.user_id === state.user.id ? state.user.email : event.user_id });
    const outcome = event.outcome === "success" ? "success" : "failure";
    return h("tr", { testid: "audit-row", "data-action": event.action, "data-outcome": event.outcome }, [
      h("td", {}, [time(event.at, { withSeconds: true })]),
      h("td", {}, [h("code", { text: event.action })]),
      h("td", {}, [h("span", { class: `badge outcome-${outcome}`, text: event.outcome })]),
      h("td", {}, [event.code ? h("code", { text: event.code }) : h("span", { class: "muted", text: "—" })]),
      h("td", {}, [who]),
      h("td", { text: displayIp(event.ip) }),
      h("td", {}, event.route ? [event.method ? h("code", { text: event.method }) : null, " ", h("code", { class: "route", text: event.route })] : [h("span", { class: "muted", text: "—" })]),
    ]);
  }

  // ---- Two-factor authentication -------------------------------------------------------------

  async function loadMfa() {
    try {
      const status = await api("GET", "/api/auth/mfa");
      const enrolling = !byId("mfa-enrol-form").hidden;
      let summary = "Two-factor authentication is off.";
      if (status.enabled) summary = `Two-factor authentication is on. ${status.recovery_codes_remaining === 1 ? "1 recovery code" : `${status.recovery_codes_remaining} recovery codes`} left.`;
      else if (status.email_codes === true) summary = "Two-factor authentication is on, with codes by email. You can add an authenticator app too.";
      byId("mfa-status").textContent = summary;
      byId("mfa-status").dataset.enabled = String(status.enabled);
      byId("mfa-on").hidden = !status.enabled;
      byId("mfa-off").hidden = status.enabled || enrolling;
      showEmailCodes(status.email_codes);
      setMessage(byId("mfa-error"), "");
    } catch (error) {
      report(byId("mfa-error"), error);
    }
  }

  /** Hides the secret, the QR code and the recovery codes, and clears every code field. */
  function resetMfa() {
    forgetEnrolment();
    dismissRecoveryCodes();
    for (const id of ["mfa-enrol-code", "mfa-codes-code", "mfa-disable-code", "mfa-email-code"]) byId(id).value = "";
  }

  /** Codes by email, when the server offers them (`email_codes` in the status: on or off). */
  function showEmailCodes(emailCodes) {
    const offered = typeof emailCodes === "boolean" || (emailCodes !== null && typeof emailCodes === "object");
    byId("mfa-email").hidden = !offered;
    if (!offered) return;
    state.emailCodes = emailCodes === true || emailCodes.enabled === true;
    byId("mfa-email-status").textContent = state.emailCodes
      ? `Codes by email are on: signing in can take a code sent to ${state.user.email}.`
      : "Codes by email are off.";
    byId("mfa-email-status").dataset.enabled = String(state.emailCodes);
    byId("mfa-email-submit").textContent = state.emailCodes ? "Disable codes by email" : "Enable codes by email";
    byId("mfa-email-submit").className = state.emailCodes ? "danger" : "";
  }

  async function sendMfaEmailCode() {
    setMessage(byId("mfa-message"), "");
    await busy(byId("mfa-email-send"), async () => {
      try {
        await api("POST", "/api/auth/mfa/email-code");
        setMessage(byId("mfa-error"), "");
        setMessage(byId("mfa-message"), `A code is on its way to ${state.user.email}. It works once, for 10 minutes.`);
        byId("mfa-email-code").focus();
      } catch (error) {
        report(byId("mfa-error"), error);
      }
    });
  }

  /** Turns codes by email on, or off when they are on, with a code sent by email. */
  async function toggleEmailCodes(event) {
    event.preventDefault();
    const input = byId("mfa-email-code");
    const code = input.value.trim();
    if (!TOTP_CODE.test(code)) return setMessage(byId("mfa-error"), "Enter the 6 digits of the code sent to your email.");
    const turningOn = !state.emailCodes;
    await busy(byId("mfa-email-submit"), async () => {
      try {
        await api("POST", `/api/auth/mfa/email/${turningOn ? "enable" : "disable"}`, { code });
        input.value = "";
        setMessage(byId("mfa-error"), "");
        setMessage(byId("mfa-message"), turningOn ? "Codes by email are on: signing in can take a code sent to your email." : "Codes by email are off.");
        await loadMfa();
      } catch (error) {
        report(byId("mfa-error"), error);
        input.select();
      }
    });
  }

  function forgetEnrolment() {
    byId("mfa-secret").textContent = "";
    byId("mfa-qr").removeAttribute("src");
    byId("mfa-enrol-code").value = "";
    byId("mfa-enrol-form").hidden = true;
  }

  async function startEnrolment() {
    setMessage(byId("mfa-message"), "");
    await busy(byId("mfa-start"), async () => {
      try {
        const enrolment = await api("POST", "/api/auth/mfa/enrol");
        // Only an image the API made as a data URL; never markup.
        if (typeof enrolment.qr_code !== "string" || !enrolment.qr_code.startsWith("data:image/")) {
          throw new ApiError(0, "bad_response", "The server's answer was not the QR code the console expected.");
        }
        byId("mfa-qr").src = enrolment.qr_code;
        byId("mfa-secret").textContent = enrolment.secret;
        byId("mfa-off").hidden = true;
        byId("mfa-enrol-form").hidden = false;
        setMessage(byId("mfa-error"), "");
        byId("mfa-enrol-code").focus();
      } catch (error) {
        report(byId("mfa-error"), error);
      }
    });
  }

  async function confirmEnrolment(event) {
    event.preventDefault();
    const code = byId("mfa-enrol-code").value.trim();
    if (!TOTP_CODE.test(code)) return setMessage(byId("mfa-error"), "Enter the 6 digits your authenticator app shows.");
    await busy(byId("mfa-confirm"), async () => {
      try {
        const { recovery_codes: codes } = await api("POST", "/api/auth/mfa/confirm", { code });
        forgetEnrolment();
        setMessage(byId("mfa-error"), "");
        setMessage(byId("mfa-message"), "Two-factor authentication is on: signing in now takes a code as well.");
        showRecoveryCodes(codes);
        await loadMfa();
      } catch (error) {
        report(byId("mfa-error"), error);
        byId("mfa-enrol-code").select();
      }
    });
  }

  async function cancelEnrolment() {
    forgetEnrolment();
    setMessage(byId("mfa-error"), "");
    await loadMfa();
  }

  /** The recovery codes, once: only in this box's text, until it is dismissed or the page reloads. */
  function showRecoveryCodes(codes) {
    byId("recovery-list").replaceChildren(...codes.map((code) => h("li", { testid: "recovery-code", text: code })));
    const box = byId("recovery-box");
    box.hidden = false;
    box.focus();
  }

  function dismissRecoveryCodes() {
    byId("recovery-list").replaceChildren();
    byId("recovery-box").hidden = true;
    window.getSelection()?.removeAllRanges();
  }

  async function newRecoveryCodes(event) {
    event.preventDefault();
    const input = byId("mfa-codes-code");
    if (!TOTP_CODE.test(input.value.trim())) return setMessage(byId("mfa-error"), "Enter the 6 digits your authenticator app shows.");
    await busy(byId("mfa-codes"), async () => {
      try {
        const { recovery_codes: codes } = await api("POST", "/api/auth/mfa/recovery-codes", { code: input.value.trim() });
        input.value = "";
        setMessage(byId("mfa-error"), "");
        setMessage(byId("mfa-message"), "New recovery codes made: the old ones no longer work.");
        showRecoveryCodes(codes);
        await loadMfa();
      } catch (error) {
        report(byId("mfa-error"), error);
      }
    });
  }

  async function disableMfa(event) {
    event.preventDefault();
    const input = byId("mfa-disable-code");
    if (!input.value.trim()) return setMessage(byId("mfa-error"), "Enter a code from your authenticator app, or a recovery code.");
    await busy(byId("mfa-disable"), async () => {
      try {
        await api("POST", "/api/auth/mfa/disable", secondFactorOf(input.value));
        input.value = "";
        dismissRecoveryCodes();
        setMessage(byId("mfa-error"), "");
        setMessage(byId("mfa-message"), "Two-factor authentication is off: signing in takes your password alone.");
        await loadMfa();
      } catch (error) {
        report(byId("mfa-error"), error);
      }
    });
  }

  // ---- Sign-in providers and the Account page ------------------------------------------------

  /** The providers the server offers (none when it has no sign-in through providers). */
  async function loadProviders() {
    try {
      const { providers } = await send("GET", "/api/auth/oauth/providers");
      state.providers = providers.filter((provider) => typeof provider.sign_in_url === "string" && SITE_PATH.test(provider.sign_in_url));
    } catch {
      state.providers = []; // the password form is still there
    }
    byId("signin-provider-buttons").replaceChildren(
      ...state.providers.map((provider) =>
        h("a", { class: "provider", href: provider.sign_in_url, testid: "provider-sign-in", "data-provider": provider.id, text: `Sign in with ${provider.name}` })),
    );
  }

  async function loadAccount() {
    const body = byId("identities-body");
    loadingRow(body, 4);
    try {
      const { identities, password } = await api("GET", "/api/auth/oauth/identities");
      state.identities = new Map(identities.map((identity) => [`${identity.provider}/${identity.subject}`, identity]));
      body.replaceChildren(...identities.map(identityRow));
      byId("identities-empty").hidden = identities.length > 0;
      byId("account-password").textContent = password
        ? "You also sign in with your email and password."
        : "This account has no password: it signs in only through its linked providers, so the last one cannot be unlinked.";
      const linked = new Set(identities.map((identity) => identity.provider));
      const linkable = state.providers.filter((provider) => !linked.has(provider.id));
      byId("link-provider-buttons").replaceChildren(
        ...linkable.map((provider) =>
          h("button", { type: "button", class: "provider", "data-provider": provider.id, testid: "link-provider", text: `Link ${provider.name}` })),
      );
      byId("link-providers").hidden = linkable.length === 0;
      setMessage(byId("account-error"), "");
    } catch (error) {
      body.replaceChildren();
      report(byId("account-error"), error);
    }
  }

  function identityRow(identity) {
    const key = `${identity.provider}/${identity.subject}`;
    return h("tr", { testid: "identity-row", "data-provider": identity.provider, "data-identity": key }, [
      h("td", { class: "name", testid: "identity-provider", text: identity.provider_name }),
      h("td", {}, [
        h("span", { testid: "identity-email", text: identity.email || identity.subject }),
        identity.email ? h("span", { class: "muted small", text: ` (${identity.subject})` }) : null,
      ]),
      h("td", {}, [time(identity.linked_at)]),
      h("td", { class: "actions" }, [
        h("button", { type: "button", class: "danger small", "data-identity": key, testid: "unlink-identity", "aria-label": `Unlink ${identity.provider_name}`, text: "Unlink" }),
      ]),
    ]);
  }

  async function onIdentityAction(event) {
    const button = event.target.closest("button[data-identity]");
    const identity = button && state.identities.get(button.dataset.identity);
    if (!identity) return;
    const confirmed = await confirmAction({
      title: `Unlink ${identity.provider_name}?`,
      text: `${identity.email || identity.subject} at ${identity.provider_name} will no longer sign you in here.`,
      confirm: "Unlink",
    });
    if (!confirmed) return;
    await busy(button, async () => {
      try {
        await api("DELETE", `/api/auth/oauth/identities/${encodeURIComponent(identity.provider)}/${encodeURIComponent(identity.subject)}`);
        setMessage(byId("account-error"), "");
        setMessage(byId("account-status"), `Unlinked ${identity.provider_name}.`);
        await loadAccount();
      } catch (error) {
        setMessage(byId("account-status"), "");
        report(byId("account-error"), error);
      }
    });
  }

  /**
   * Links a provider: the browser posts a form to the link route, which sends it to the provider.
   * That route wants a recent sign-in, and a refused form post would leave the console for a JSON
   * page, so the same request is made with fetch first: a refusal asks for the password (or is
   * shown), and the redirect it gets otherwise (not followed) means the form can go. The form's
   * flow replaces the one the check began.
   */
  async function linkProvider(event) {
    const button = event.target.closest("button[data-provider]");
    if (!button) return;
    const path = `/api/auth/oauth/${encodeURIComponent(button.dataset.provider)}/link`;
    setMessage(byId("account-status"), "");
    await busy(button, async () => {
      try {
        await checkLink(path);
      } catch (error) {
        return report(byId("account-error"), error);
      }
      sessionStorage.setItem(RETURN_TO_ACCOUNT, "1");
      const form = h("form", { method: "post", action: path, hidden: true });
      document.body.append(form);
      form.submit();
    });
  }

  async function checkLink(path, reauthenticated = false) {
    let response;
    try {
      response = await fetch(path, { method: "POST", credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } });
    } catch {
      throw new ApiError(0, "network_error", "The server could not be reached. Check that the demo is running, then try again.");
    }
    if (response.type === "opaqueredirect") return;
    const error = refusalOf(response, await response.json().catch(() => null));
    if (error.code === "reauthentication_required" && !reauthenticated) {
      await confirmPassword();
      return checkLink(path, true);
    }
    if (error.status === 401 && SIGNED_OUT.has(error.code)) {
      showSignIn(error.code === "session_expired" ? error.message : "Your session has ended; sign in again.");
      error.signedOut = true;
    }
    throw error;
  }

  /**
   * The `?oauth_error=` a provider's sign-in came back with, taken off the address bar (a reload
   * or a bookmark must not show it again).
   */
  function takeOAuthError() {
    const query = new URLSearchParams(location.search);
    const code = query.get("oauth_error");
    if (code === null) return null;
    query.delete("oauth_error");
    const search = query.toString();
    history.replaceState(history.state, "", `${location.pathname}${search ? `?${search}` : ""}${location.hash}`);
    return code;
  }

  const oauthErrorText = (code) =>
    Object.hasOwn(OAUTH_ERRORS, code) ? OAUTH_ERRORS[code] : `Signing in through the provider did not work (${code}). Try again.`;

  /** A change of address: a link goes to the new one; the password is asked for when the last check is old. */
  async function changeEmail(event) {
    event.preventDefault();
    const input = byId("new-email");
    const email = input.value.trim();
    setMessage(byId("account-status"), "");
    if (!email) return setMessage(byId("account-error"), "Enter the new email address.");
    await busy(byId("email-submit"), async () => {
      try {
        const answer = await api("POST", "/api/auth/email", { email });
        input.value = "";
        setMessage(byId("account-error"), "");
        setMessage(byId("account-status"), answer.detail);
      } catch (error) {
        report(byId("account-error"), error);
      }
    });
  }

  // ---- Users (admins): invitations -----------------------------------------------------------

  async function loadUsers() {
    setMessage(byId("users-error"), "");
  }

  async function invite(event) {
    event.preventDefault();
    const form = byId("invite-form");
    const email = byId("invite-email").value.trim();
    const name = byId("invite-name").value.trim();
    const role = byId("invite-role").value;
    setMessage(byId("users-status"), "");
    if (!email) return setMessage(byId("users-error"), "Enter the email address to invite.");
    await busy(byId("invite-submit"), async () => {
      try {
        const answer = await api("POST", "/api/auth/invitations", { email, role, ...(name ? { name } : {}) });
        form.reset();
        setMessage(byId("users-error"), "");
        setMessage(byId("users-status"), `Invitation sent to ${answer.email} as ${answer.role}: its link works until ${formatTime(answer.expires_at)}.`);
      } catch (error) {
        report(byId("users-error"), error);
      }
    });
  }

  // ---- Outbox (development: the demo without a mail server) ----------------------------------

  /** Whether the outbox answers this browser: it does only without SMTP_URL, on the demo's machine. */
  async function detectOutbox() {
    try {
      await send("GET", "/api/demo/outbox");
      state.outbox = true;
    } catch {
      state.outbox = false;
    }
  }

  /** The Outbox page signed out: the same section, shown on its own. */
  function showOutboxSignedOut() {
    byId("boot").hidden = true;
    byId("signin-view").hidden = true;
    byId("link-view").hidden = true;
    byId("topbar-outbox").hidden = true;
    byId("outbox-view").append(byId("page-outbox"));
    byId("page-outbox").hidden = false;
    byId("outbox-view").hidden = false;
    return loadOutbox();
  }

  async function loadOutbox() {
    const list = byId("outbox-list");
    try {
      const { messages } = await send("GET", "/api/demo/outbox");
      list.replaceChildren(...messages.map(outboxMessage));
      byId("outbox-empty").hidden = messages.length > 0;
      setMessage(byId("outbox-error"), "");
    } catch (error) {
      list.replaceChildren();
      byId("outbox-empty").hidden = true;
      report(byId("outbox-error"), error);
    }
  }

  function outboxMessage(message) {
    return h("article", { class: "card mail", testid: "outbox-message", "data-to": message.to }, [
      h("div", { class: "mail-head" }, [
        h("span", { class: "mail-subject", testid: "outbox-subject", text: message.subject }),
        time(message.sent_at, { withSeconds: true }),
      ]),
      h("p", { class: "muted small" }, ["To ", h("span", { testid: "outbox-to", text: message.to })]),
      h("pre", { class: "mail-text", testid: "outbox-text" }, linkified(message.text)),
    ]);
  }

  /** The text as text nodes, with this site's addresses as links; any other address stays text. */
  function linkified(text) {
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(URL_IN_TEXT)) {
      parts.push(text.slice(last, match.index));
      const address = match[0].replace(/[.,;:!?)]+$/, ""); // the sentence's punctuation is not the link's
      const url = URL.canParse(address) ? new URL(address) : null;
      parts.push(url && url.origin === location.origin ? h("a", { href: url.href, testid: "outbox-link", text: address }) : address);
      last = match.index + address.length;
    }
    parts.push(text.slice(last));
    return parts.filter((part) => part !== "");
  }

  // ---- The pages an emailed link opens -------------------------------------------------------

  /**
   * The link's token, taken from the fragment (`#token=…`) and then off the address bar, so a
   * reload, the history or a bookmark does not keep it.
   */
  function takeLinkToken() {
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    history.replaceState(null, "", `${location.pathname}${location.search}`);
    return token;
  }

  function showLinkPage(page) {
    state.linkToken = takeLinkToken();
    byId("boot").hidden = true;
    byId("signin-view").hidden = true;
    byId("topbar-outbox").hidden = !state.outbox;
    byId("link-title").textContent = page.title;
    byId("link-hint").textContent = page.hint;
    byId("link-submit").textContent = page.submit;
    byId("link-password-field").hidden = !page.password;
    byId("link-view").hidden = false;
    if (!state.linkToken) {
      byId("link-submit").hidden = true;
      byId("link-password-field").hidden = true;
      return setMessage(byId("link-error"), "This link is incomplete: open it from the email again.");
    }
    (page.password ? byId("link-password") : byId("link-submit")).focus();
  }

  async function useLink(page) {
    const password = byId("link-password");
    const error = byId("link-error");
    if (!state.linkToken) return;
    if (page.password && !password.value) return setMessage(error, "Choose a password.");
    await busy(byId("link-submit"), async () => {
      try {
        const answer = await send("POST", page.path, page.body(state.linkToken, password.value));
        state.linkToken = null; // spent
        password.value = "";
        byId("link-password-field").hidden = true;
        byId("link-submit").hidden = true;
        setMessage(error, "");
        setMessage(byId("link-status"), page.done(answer));
        byId("link-signin").focus();
      } catch (failure) {
        if (failure instanceof ApiError && failure.code === "invalid_token") {
          state.linkToken = null;
          byId("link-password-field").hidden = true;
          byId("link-submit").hidden = true;
          return setMessage(error, "This link does not work: it was used already, it expired, or a newer one replaced it. Ask for a new one.");
        }
        setMessage(error, messageOf(failure));
        password.select();
      }
    });
  }

  // ---- Dialogs -------------------------------------------------------------------------------

  /** Resolves true when the user confirms; the rotate dialog also offers a grace period. */
  function confirmAction({ title, text, confirm, grace = false }) {
    const dialog = byId("confirm-dialog");
    byId("confirm-title").textContent = title;
    byId("confirm-text").textContent = text;
    byId("confirm-ok").textContent = confirm;
    byId("grace-field").hidden = !grace;
    byId("grace-period").value = "3600";
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
  }

  /** Asks for the password and confirms it with the server; rejects if the user cancels. */
  function confirmPassword() {
    if (state.reauth) return state.reauth;
    const dialog = byId("reauth-dialog");
    setMessage(byId("reauth-error"), "");
    byId("reauth-password").value = "";
    dialog.returnValue = "";
    dialog.showModal();
    state.reauth = new Promise((resolve, reject) => {
      dialog.addEventListener("close", () => {
        byId("reauth-password").value = "";
        state.reauth = null;
        if (dialog.returnValue === "ok") resolve();
        else reject(new ApiError(401, "reauthentication_cancelled", "Not done: confirm your password to continue."));
      }, { once: true });
    });
    return state.reauth;
  }

  async function submitPassword(event) {
    event.preventDefault();
    const dialog = byId("reauth-dialog");
    const error = byId("reauth-error");
    const password = byId("reauth-password").value;
    if (!password) return setMessage(error, "Enter your password.");
    await busy(byId("reauth-ok"), async () => {
      try {
        await send("POST", "/api/auth/reauthenticate", { password });
        dialog.close("ok");
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 401 && SIGNED_OUT.has(failure.code)) {
          dialog.close("cancel");
          showSignIn(failure.message);
        } else {
          setMessage(error, messageOf(failure));
        }
      }
    });
  }

  function showGlobalError(error) {
    if (error && error.signedOut) return;
    setMessage(byId("global-error"), messageOf(error));
    byId("boot").hidden = true;
  }

  // ---- Wiring --------------------------------------------------------------------------------

  window.addEventListener("unhandledrejection", (event) => showGlobalError(event.reason));
  window.addEventListener("error", (event) => showGlobalError(event.error || new Error(event.message)));
  window.addEventListener("hashchange", route);

  byId("signin-form").addEventListener("submit", signIn);
  byId("mfa-signin-form").addEventListener("submit", submitSignInCode);
  byId("mfa-signin-back").addEventListener("click", () => {
    showPasswordStep();
    byId("signin-password").focus();
  });
  byId("sign-out").addEventListener("click", signOut);
  byId("create-key-form").addEventListener("submit", createKey);
  byId("keys-body").addEventListener("click", onKeyAction);
  byId("keys-more").addEventListener("click", () => loadKeys(true));
  byId("copy-key").addEventListener("click", copyKey);
  byId("dismiss-key").addEventListener("click", () => {
    dismissKey();
    byId("key-name").focus();
  });
  byId("sessions-body").addEventListener("click", onSessionAction);
  byId("revoke-others").addEventListener("click", revokeOtherSessions);
  byId("access-log-refresh").addEventListener("click", loadAccessLog);
  byId("mfa-start").addEventListener("click", startEnrolment);
  byId("mfa-enrol-form").addEventListener("submit", confirmEnrolment);
  byId("mfa-cancel").addEventListener("click", cancelEnrolment);
  byId("recovery-done").addEventListener("click", dismissRecoveryCodes);
  byId("mfa-codes-form").addEventListener("submit", newRecoveryCodes);
  byId("mfa-disable-form").addEventListener("submit", disableMfa);
  byId("identities-body").addEventListener("click", onIdentityAction);
  byId("link-provider-buttons").addEventListener("click", linkProvider);
  byId("confirm-form").addEventListener("submit", (event) => {
    event.preventDefault();
    byId("confirm-dialog").close("ok");
  });
  byId("confirm-cancel").addEventListener("click", () => byId("confirm-dialog").close("cancel"));
  byId("reauth-form").addEventListener("submit", submitPassword);
  byId("show-forgot").addEventListener("click", () => showEmailForm("forgot-form"));
  byId("show-signup").addEventListener("click", () => showEmailForm("signup-form"));
  for (const back of document.querySelectorAll(".back-to-signin")) back.addEventListener("click", () => {
    showPasswordStep();
    byId("signin-email").focus();
  });
  byId("forgot-form").addEventListener("submit", emailRequest("forgot-form", "/api/auth/password/forgot"));
  byId("signup-form").addEventListener("submit", emailRequest("signup-form", "/api/auth/signup"));
  byId("mfa-signin-email").addEventListener("click", sendSignInCode);
  byId("email-form").addEventListener("submit", changeEmail);
  byId("invite-form").addEventListener("submit", invite);
  byId("outbox-refresh").addEventListener("click", loadOutbox);
  byId("mfa-email-send").addEventListener("click", sendMfaEmailCode);
  byId("mfa-email-form").addEventListener("submit", toggleEmailCodes);
  byId("link-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const page = LINK_PAGES[location.pathname];
    if (page) useLink(page);
  });
  byId("reauth-cancel").addEventListener("click", () => byId("reauth-dialog").close("cancel"));

  async function boot() {
    await detectOutbox();
    // An emailed link's page: its form, signed in or not.
    if (Object.hasOwn(LINK_PAGES, location.pathname)) return showLinkPage(LINK_PAGES[location.pathname]);
    const oauthError = takeOAuthError();
    const linking = sessionStorage.getItem(RETURN_TO_ACCOUNT) !== null;
    sessionStorage.removeItem(RETURN_TO_ACCOUNT);
    await loadProviders();
    let me = null;
    try {
      me = await send("GET", "/api/auth/me");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) showGlobalError(error);
    }
    if (me && me.kind === "session" && me.user) {
      // Back from linking a provider: its outcome is shown on the Account page.
      if (linking) history.replaceState(history.state, "", "#account");
      await showApp(me); // first: loading a page clears its messages
      if (linking) setMessage(byId(oauthError ? "account-error" : "account-status"), oauthError ? oauthErrorText(oauthError) : "Linked: that provider signs you in from now on.");
      else if (oauthError) showGlobalError(new ApiError(0, oauthError, oauthErrorText(oauthError)));
      return;
    }
    showSignIn();
    if (location.pathname === "/forgot-password") return showEmailForm("forgot-form");
    if (location.hash === "#outbox" && state.outbox) return showOutboxSignedOut();
    // The provider vouched for the user, whose own second factor is still due.
    if (oauthError === "mfa_required") showCodeStep();
    else if (oauthError) setMessage(byId("signin-error"), oauthErrorText(oauthError));
  }

  boot();
})();
