// Entry point: picks the language, asks whether a session exists, then shows the login or the
// mail. Navigation is by the URL fragment (#/folder/Inbox, #/message/<id>, #/compose,
// #/directory), so the node serves one page and the browser's back button works.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { api, isApiError, Session, setCsrfToken } from "./api";
import { language, t } from "./i18n";
import { LoginPage } from "./login";
import { MailApp } from "./mail_app";

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  useEffect(() => {
    api
      .session()
      .then((current) => {
        setCsrfToken(current.csrf_token);
        setSession(current);
      })
      .catch(() => setSession(null));
  }, []);

  const signedIn = (current: Session) => {
    setCsrfToken(current.csrf_token);
    if (!location.hash || location.hash === "#/") location.hash = "#/folder/Inbox";
    setSession(current);
  };
  const signedOut = () => {
    setCsrfToken("");
    location.hash = "";
    setSession(null);
  };

  if (session === undefined) return <p class="status" role="status">{t("loading")}</p>;
  if (session === null) return <LoginPage onSignedIn={signedIn} />;
  return (
    <MailApp
      session={session}
      onSignedOut={signedOut}
      onExpired={(error) => {
        if (isApiError(error) && error.status === 401) signedOut();
      }}
    />
  );
}

document.documentElement.lang = language;
document.title = t("appName");
render(<App />, document.getElementById("app")!);
