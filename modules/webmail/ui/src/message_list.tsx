// One folder's messages, newest first, fifty at a time ("Older messages" follows the cursor);
// or the results of a search.
import { useEffect, useState } from "preact/hooks";
import { api, MessageSummary } from "./api";
import { folderLabel, formatDate, t } from "./i18n";
import { errorText } from "./login";
import { messageHref } from "./route";

interface Props {
  folder: string;
  search: string;
  onExpired: (error: unknown) => void;
}

export function MessageList({ folder, search, onExpired }: Props) {
  const [messages, setMessages] = useState<MessageSummary[]>([]);
  const [next, setNext] = useState("");
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);

  const load = (before: string) => {
    setLoading(true);
    const request = search ? api.search(search) : api.messages(folder, before);
    request
      .then((page) => {
        setMessages((shown) => (before ? shown.concat(page.messages) : page.messages));
        setNext(search ? "" : page.next);
        setError("");
      })
      .catch((failure) => {
        onExpired(failure);
        setError(errorText(failure));
      })
      .finally(() => setLoading(false));
  };

  useEffect(() => load(""), [folder, search]);

  return (
    <section aria-labelledby="list-title">
      <h1 id="list-title">{search ? t("searchResults") : folderLabel(folder)}</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {loading && messages.length === 0 && <p role="status">{t("loading")}</p>}
      {!loading && !error && messages.length === 0 && <p>{t("emptyFolder")}</p>}
      <ul class="messages">
        {messages.map((message) => (
          <li key={message.id} class={message.seen ? "seen" : "unseen"}>
            <a href={messageHref(message.id)}>
              <span class="from">{message.from}</span>
              <span class="date">{formatDate(message.date)}</span>
              <span class="subject">
                {!message.seen && <span class="visually-hidden">{t("unread")}: </span>}
                {message.flagged && <span class="flag" aria-label={t("flagged")}>⚑ </span>}
                {message.subject || t("noSubject")}
                {message.has_attachments && (
                  <span class="clip" aria-label={t("hasAttachment")}> 📎</span>
                )}
              </span>
              <span class="preview">{message.preview}</span>
            </a>
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" disabled={loading} onClick={() => load(next)}>
          {t("olderMessages")}
        </button>
      )}
    </section>
  );
}
