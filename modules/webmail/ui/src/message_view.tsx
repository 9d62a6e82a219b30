// One message: its headers, the plain text part, and the HTML part in a sandboxed frame. The
// frame's document comes from /api/messages/<id>/html, sanitized on the server and served with
// its own CSP (default-src 'none'; sandbox). The sandbox attribute below allows only popups that
// escape it (a link opens in a new, normal tab): the frame has neither scripts nor our origin
// (no allow-scripts, no allow-same-origin), and remote images are already gone from what the
// server sends.
import { useEffect, useState } from "preact/hooks";
import { api, attachmentUrl, htmlUrl, Message } from "./api";
import { folderLabel, formatDate, t } from "./i18n";
import { errorText } from "./login";
import { folderHref } from "./route";

interface Props {
  id: string;
  onExpired: (error: unknown) => void;
  onChanged: () => void;
}

export function MessageView({ id, onExpired, onChanged }: Props) {
  const [message, setMessage] = useState<Message | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    api
      .message(id)
      .then((loaded) => {
        setMessage(loaded);
        if (!loaded.seen) api.setFlags(id, { seen: true }).then(onChanged, () => undefined);
      })
      .catch((failure) => {
        onExpired(failure);
        setError(errorText(failure));
      });
  }, [id]);

  const act = (action: Promise<unknown>, then: () => void) =>
    action.then(then).catch((failure) => {
      onExpired(failure);
      setError(errorText(failure));
    });

  if (error) return <p class="error" role="alert">{error}</p>;
  if (!message) return <p role="status">{t("loading")}</p>;
  return (
    <article aria-labelledby="message-subject" class="message">
      <a href={folderHref(message.folder)} class="back">← {folderLabel(message.folder)}</a>
      <h1 id="message-subject">{message.subject || t("noSubject")}</h1>
      <dl class="headers">
        <dt>{t("from")}</dt><dd>{message.from}</dd>
        <dt>{t("to")}</dt><dd>{message.to.join(", ")}</dd>
        {message.cc.length > 0 && <><dt>{t("cc")}</dt><dd>{message.cc.join(", ")}</dd></>}
        <dt>{t("date")}</dt><dd>{formatDate(message.date)}</dd>
      </dl>
      <div class="actions">
        <a class="button" href={`#/compose?reply=${encodeURIComponent(id)}`}>{t("reply")}</a>
        <a class="button" href={`#/compose?reply=${encodeURIComponent(id)}&all=1`}>
          {t("replyAll")}
        </a>
        <a class="button" href={`#/compose?forward=${encodeURIComponent(id)}`}>{t("forward")}</a>
        <button type="button" onClick={() =>
          act(api.setFlags(id, { seen: false }), () => { onChanged(); history.back(); })}>
          {t("markUnread")}
        </button>
        <button type="button" aria-pressed={message.flagged} onClick={() =>
          act(api.setFlags(id, { flagged: !message.flagged }),
            () => setMessage({ ...message, flagged: !message.flagged }))}>
          {message.flagged ? t("unflag") : t("flag")}
        </button>
        <button type="button" onClick={() =>
          act(api.remove(id), () => { onChanged(); location.hash = folderHref(message.folder); })}>
          {t("delete")}
        </button>
      </div>
      {message.has_html ? (
        <>
          <p class="note">{t("remoteBlocked")}</p>
          <iframe class="body-html" sandbox="allow-popups allow-popups-to-escape-sandbox"
            src={htmlUrl(id)} title={t("htmlFrameTitle")}
            referrerpolicy="no-referrer" loading="lazy" />
        </>
      ) : (
        <pre class="body-text">{message.text}</pre>
      )}
      {message.attachments.length > 0 && (
        <section aria-labelledby="attachments-title">
          <h2 id="attachments-title">{t("attachments")}</h2>
          <ul class="attachments">
            {message.attachments.map((attachment) => (
              <li key={attachment.index}>
                <a href={attachmentUrl(id, attachment.index)} download={attachment.name}>
                  {attachment.name}
                </a>{" "}
                ({t("kb", { n: Math.max(1, Math.round(attachment.size / 1024)) })})
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}
