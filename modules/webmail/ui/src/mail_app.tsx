// The signed-in layout: a header (name, search, sign out), the folder list and the main area.
// On a phone the folder list sits above the content; from 48rem wide it is a side column.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, Folder, Session } from "./api";
import { folderLabel, t } from "./i18n";
import { errorText } from "./login";
import { ComposePage } from "./compose";
import { DirectoryPage } from "./directory";
import { MessageList } from "./message_list";
import { MessageView } from "./message_view";
import { folderHref, Route, useRoute } from "./route";

interface Props {
  session: Session;
  onSignedOut: () => void;
  onExpired: (error: unknown) => void;
}

export function MailApp({ session, onSignedOut, onExpired }: Props) {
  const route = useRoute();
  const [folders, setFolders] = useState<Folder[]>([]);
  const [foldersError, setFoldersError] = useState("");
  const [words, setWords] = useState("");
  const main = useRef<HTMLElement>(null);

  const loadFolders = () =>
    api
      .folders()
      .then((answer) => {
        setFolders(answer.folders);
        setFoldersError("");
      })
      .catch((error) => {
        onExpired(error);
        setFoldersError(errorText(error));
      });

  useEffect(() => {
    loadFolders();
  }, [route]);

  // A new page moves the focus to its content, as a page load would (screen readers hear it).
  useEffect(() => {
    main.current?.focus();
  }, [route.page, (route as { id?: string }).id]);

  const signOut = async () => {
    try {
      await api.logout();
    } finally {
      onSignedOut();
    }
  };

  const current = route.page === "folder" ? route.folder : "";
  return (
    <div class="layout">
      <a class="skip" href="#content" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>
        {t("skipToContent")}
      </a>
      <header class="top">
        <span class="brand">{t("appName")}</span>
        <form role="search" class="search" onSubmit={(e) => {
          e.preventDefault();
          location.hash = `#/search?q=${encodeURIComponent(words)}`;
        }}>
          <label for="mail-search" class="visually-hidden">{t("searchMail")}</label>
          <input id="mail-search" type="search" placeholder={t("searchMail")} value={words}
            onInput={(e) => setWords(e.currentTarget.value)} />
          <button type="submit">{t("search")}</button>
        </form>
        <span class="who">{t("signedInAs", { u: session.user_id })}</span>
        <button type="button" onClick={signOut}>{t("signOut")}</button>
      </header>
      <nav class="side" aria-label={t("mainNav")}>
        <a class="button primary" href="#/compose">{t("compose")}</a>
        <h2 id="folders-title">{t("folders")}</h2>
        {foldersError && <p class="error">{foldersError}</p>}
        <ul aria-labelledby="folders-title">
          {folders.map((folder) => (
            <li key={folder.name}>
              <a href={folderHref(folder.name)}
                aria-current={current === folder.name ? "page" : undefined}>
                {folderLabel(folder.name)}
                {folder.unread > 0 && (
                  <span class="count" aria-label={t("unreadCount", { n: folder.unread })}>
                    {folder.unread}
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
        <a href="#/directory" aria-current={route.page === "directory" ? "page" : undefined}>
          {t("directory")}
        </a>
      </nav>
      <main id="content" ref={main} tabIndex={-1}>
        <Page route={route} onExpired={onExpired} onChanged={loadFolders} />
      </main>
    </div>
  );
}

function Page({ route, onExpired, onChanged }: {
  route: Route;
  onExpired: (error: unknown) => void;
  onChanged: () => void;
}) {
  switch (route.page) {
    case "message":
      return <MessageView key={route.id} id={route.id} onExpired={onExpired} onChanged={onChanged} />;
    case "compose":
      return <ComposePage key={route.reply + route.forward} route={route} onExpired={onExpired} />;
    case "directory":
      return <DirectoryPage onExpired={onExpired} />;
    case "search":
      return <MessageList key={"search:" + route.words} search={route.words} folder=""
        onExpired={onExpired} />;
    default:
      return <MessageList key={route.folder} folder={route.folder} search="" onExpired={onExpired} />;
  }
}
