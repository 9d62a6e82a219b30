// Drives Debian's /usr/bin/chromium (headless) with playwright-core against a running node, for
// browser_test.py, which starts the node, delivers the mail and asserts on what this prints.
//
// usage: node browser_check.cjs <plan.json>   (NODE_PATH: where `npm ci` put playwright-core and
// axe-core). The plan names the origin, the user, the steps to run and where screenshots go; the
// result is one JSON object on stdout: per step what was seen, the axe-core violations that are
// serious or critical, every request to a host other than the appliance (from the browser's own
// request events: page, frames and workers), and every console message a hostile script logged.
//
// Outside hosts resolve to nothing (--host-resolver-rules): a leak cannot reach anyone, and the
// request event still fires, so it is counted. Waits are on conditions (load events, selectors,
// network idle), each bounded by STEP_TIMEOUT_MS.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const STEP_TIMEOUT_MS = 30000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const appliance = new URL(plan.origin);
const result = { steps: {}, axe: {}, outside_requests: [], pwned: [], errors: [] };
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

function isOutside(url) {
  if (/^(data|about|blob|chrome|chrome-error):/.test(url)) return false;
  try {
    return new URL(url).host !== appliance.host;
  } catch {
    return true;
  }
}

async function launch(locale) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lifeboat-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: plan.chromium || "/usr/bin/chromium",
    headless: true,
    ignoreHTTPSErrors: true,
    locale,
    viewport: DESKTOP,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${appliance.hostname}`,
      `--lang=${locale}`,
    ],
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.on("request", (request) => {
    if (isOutside(request.url())) result.outside_requests.push(request.url());
  });
  const watch = (page) => {
    page.on("console", (message) => {
      if (message.text().includes("PWNED")) result.pwned.push(message.text());
    });
    page.on("dialog", (dialog) => {
      result.pwned.push("dialog: " + dialog.message());
      dialog.dismiss().catch(() => {});
    });
  };
  context.on("page", watch);
  context.pages().forEach(watch);
  return { context, profile };
}

async function close({ context, profile }) {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

async function axe(page, name) {
  await page.evaluate(axeSource + ";0");  // evaluate is not subject to the page's CSP
  const found = await page.evaluate(async () => {
    const report = await window.axe.run(document, { resultTypes: ["violations"] });
    return report.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  result.axe[name] = found.filter((v) => v.impact === "serious" || v.impact === "critical");
}

async function screenshots(page, name) {
  fs.mkdirSync(plan.artifacts, { recursive: true });
  await page.screenshot({ path: path.join(plan.artifacts, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(plan.artifacts, `${name}-phone.png`), fullPage: true });
  // At 360 px nothing may need a horizontal scroll bar.
  result.steps[`${name}_phone_overflow_px`] = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize(DESKTOP);
}

async function signIn(page) {
  await page.goto(plan.origin + "/");
  await page.waitForSelector("#user");
  await page.fill("#user", plan.user);
  await page.fill("#password", plan.password);
  await page.click("button[type=submit]");
  await page.waitForSelector("header.top");
}

async function loginAndPages() {
  const browser = await launch("en-US");
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  const csp = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
  const answer = await page.goto(plan.origin + "/");
  result.steps.index_status = answer.status();
  result.steps.index_csp = answer.headers()["content-security-policy"] || "";
  await page.waitForSelector("#user");
  result.steps.login_heading = await page.textContent("h2");
  result.steps.html_lang = await page.getAttribute("html", "lang");
  await axe(page, "login");
  await screenshots(page, "login");
  // Keyboard only: Tab reaches the e-mail field first, then the password, then the button.
  await page.keyboard.press("Tab");
  result.steps.first_tab_stop = await page.evaluate(() => document.activeElement.id);
  await signIn(page);
  result.steps.signed_in_header = await page.textContent("header.top .who");
  await page.waitForSelector("main h1");
  result.steps.inbox_heading = await page.textContent("main h1");
  if (plan.api_available) {
    await page.waitForSelector(`a[href="#/message/${encodeURIComponent(plan.welcome.id)}"]`);
    result.steps.inbox_lists_welcome = true;
    await axe(page, "inbox");
    await screenshots(page, "inbox");
    await page.click(`a[href="#/message/${encodeURIComponent(plan.welcome.id)}"]`);
    await page.waitForSelector("#message-subject");
    result.steps.message_subject = await page.textContent("#message-subject");
    const frame = await page.waitForSelector("iframe.body-html");
    result.steps.message_frame_sandbox = await frame.getAttribute("sandbox");
    const content = await (await frame.contentFrame()).waitForSelector("body");
    result.steps.message_frame_text = await content.textContent();
    await axe(page, "message");
    await screenshots(page, "message");
    await page.goto(plan.origin + "/#/compose");
    await page.waitForSelector("#compose-to");
    await axe(page, "compose");
    await screenshots(page, "compose");
    await page.goto(plan.origin + "/#/directory");
    await page.waitForSelector("#directory-query");
    await axe(page, "directory");
    await screenshots(page, "directory");
  }
  result.steps.csp_reports = csp;
  await page.click("header.top button:not([type=submit])");
  await page.waitForSelector("#user");
  result.steps.signed_out = true;
  await close(browser);
}

// Each hostile mail twice: its /html URL opened directly in a tab of its own (the worst case: a
// user or a link opening it outside the frame), then inside a sandboxed frame of the signed-in
// page, as the message view shows it. Both waits are the load event, which comes only once every
// subresource the document asked for has loaded or failed.
async function hostile() {
  const browser = await launch("en-US");
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  await signIn(page);
  const direct = await browser.context.newPage();
  result.steps.hostile_opened = 0;
  for (const mail of plan.hostile) {
    const url = `${plan.origin}/api/messages/${encodeURIComponent(mail.id)}/html`;
    const answer = await direct.goto(url);
    if (answer.status() !== 200) result.errors.push(`${mail.name}: direct ${answer.status()}`);
    const sandbox = await page.evaluate(async (src) => {
      document.querySelectorAll("iframe.hostile").forEach((old) => old.remove());
      const frame = document.createElement("iframe");
      frame.className = "hostile";
      frame.setAttribute("sandbox", "allow-popups allow-popups-to-escape-sandbox");
      const loaded = new Promise((resolve) => frame.addEventListener("load", resolve));
      frame.src = src;
      document.body.appendChild(frame);
      await loaded;
      return frame.getAttribute("sandbox");
    }, url);
    if (sandbox !== "allow-popups allow-popups-to-escape-sandbox") result.errors.push("sandbox");
    if (mail.name === plan.inline_image_mail) {
      // The message's own cid: image is shown, as a data: URI.
      const frame = page.frames().find((f) => f.url() === url);
      result.steps.inline_image = frame
        ? await frame.evaluate(() => {
            const img = document.querySelector("img");
            return img ? { src: img.src.slice(0, 22), width: img.naturalWidth } : null;
          })
        : null;
    }
    result.steps.hostile_opened += 1;
  }
  await close(browser);
}

async function french() {
  const browser = await launch("fr-FR");
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  await page.goto(plan.origin + "/");
  await page.waitForSelector("#user");
  result.steps.fr_login_heading = await page.textContent("h2");
  result.steps.fr_html_lang = await page.getAttribute("html", "lang");
  result.steps.fr_submit = await page.textContent("button[type=submit]");
  await axe(page, "login_fr");
  await screenshots(page, "login-fr");
  await close(browser);
}

(async () => {
  const steps = { login: loginAndPages, hostile, french };
  for (const name of plan.steps) {
    try {
      await steps[name]();
    } catch (error) {
      result.errors.push(`${name}: ${error && error.stack ? error.stack : error}`);
    }
  }
  process.stdout.write(JSON.stringify(result) + "\n");
})();
