// Sign in, with the steps a user may meet: the TOTP code (RFC 6238) when the account has one,
// and activation (a one-time code, then a new password) for a user who never signed in here.
import { useState } from "preact/hooks";
import { api, ApiError, isApiError, Session } from "./api";
import { t } from "./i18n";

type Step = "password" | "totp" | "activate";

export function errorText(error: unknown): string {
  if (!isApiError(error)) return t("genericError", { e: String(error) });
  const failure = error as ApiError & { retry_after_seconds?: number };
  switch (failure.error) {
    case "invalid_credentials":
      return t("wrongCredentials");
    case "throttled":
      return t("throttled", { s: failure.retry_after_seconds ?? 60 });
    case "unavailable":
      return t("unavailable");
    case "not_found":
    case "method_not_allowed":
      return t("notYetAvailable");
    default:
      return t("genericError", { e: failure.error });
  }
}

export function LoginPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [step, setStep] = useState<Step>("password");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [code, setCode] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const signIn = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      onSignedIn(await api.login(user.trim(), password, step === "totp" ? totp.trim() : ""));
    } catch (failure) {
      if (isApiError(failure) && failure.error === "totp_required") {
        if (step === "totp") setError(t("wrongCredentials"));
        setStep("totp");
      } else if (isApiError(failure) && failure.error === "needs_activation") {
        setStep("activate");
      } else {
        setError(errorText(failure));
      }
    } finally {
      setBusy(false);
    }
  };

  const activate = async (event: Event) => {
    event.preventDefault();
    if (newPassword !== confirm) {
      setError(t("passwordsDiffer"));
      return;
    }
    setBusy(true);
    setError("");
    try {
      onSignedIn(await api.activate(user.trim(), code.trim(), newPassword));
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="content" class="login">
      <h1>{t("appName")}</h1>
      {step !== "activate" ? (
        <form onSubmit={signIn} aria-labelledby="login-title" class="card">
          <h2 id="login-title">{t("signInTitle")}</h2>
          <label for="user">{t("email")}</label>
          <input id="user" type="email" autocomplete="username" required value={user}
            onInput={(e) => setUser(e.currentTarget.value)} />
          <label for="password">{t("password")}</label>
          <input id="password" type="password" autocomplete="current-password" required
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          {step === "totp" && (
            <>
              <p id="totp-help">{t("totpNeeded")}</p>
              <label for="totp">{t("totpCode")}</label>
              <input id="totp" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
                required aria-describedby="totp-help" value={totp}
                onInput={(e) => setTotp(e.currentTarget.value)} />
            </>
          )}
          {error && <p class="error" role="alert">{error}</p>}
          <button type="submit" disabled={busy}>{t("signIn")}</button>
          <button type="button" class="link" onClick={() => { setError(""); setStep("activate"); }}>
            {t("haveCode")}
          </button>
        </form>
      ) : (
        <form onSubmit={activate} aria-labelledby="activate-title" class="card">
          <h2 id="activate-title">{t("activateTitle")}</h2>
          <p>{t("activateExplain")}</p>
          <label for="user">{t("email")}</label>
          <input id="user" type="email" autocomplete="username" required value={user}
            onInput={(e) => setUser(e.currentTarget.value)} />
          <label for="code">{t("activationCode")}</label>
          <input id="code" autocomplete="one-time-code" required value={code}
            onInput={(e) => setCode(e.currentTarget.value)} />
          <label for="new-password">{t("newPassword")}</label>
          <input id="new-password" type="password" autocomplete="new-password" required
            value={newPassword} onInput={(e) => setNewPassword(e.currentTarget.value)} />
          <label for="confirm-password">{t("confirmPassword")}</label>
          <input id="confirm-password" type="password" autocomplete="new-password" required
            value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
          {error && <p class="error" role="alert">{error}</p>}
          <button type="submit" disabled={busy}>{t("activate")}</button>
          <button type="button" class="link" onClick={() => { setError(""); setStep("password"); }}>
            {t("backToSignIn")}
          </button>
        </form>
      )}
    </main>
  );
}
