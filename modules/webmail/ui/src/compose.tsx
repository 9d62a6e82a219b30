// A new message, a reply (to the sender, or to all), or a forward, with attachments. The From is
// never ours to choose: the server sends as the signed-in user.
import { useEffect, useState } from "preact/hooks";
import { api, Message, OutgoingAttachment } from "./api";
import { formatDate, t } from "./i18n";
import { errorText } from "./login";
import { Route } from "./route";

type ComposeRoute = Extract<Route, { page: "compose" }>;

const splitAddresses = (text: string) =>
  text.split(/[,;]/).map((part) => part.trim()).filter(Boolean);

function prefixed(prefix: string, subject: string): string {
  return subject.toLowerCase().startsWith(prefix.toLowerCase()) ? subject : `${prefix} ${subject}`;
}

function quoted(original: Message): string {
  const lines = original.text.split("\n").map((line) => "> " + line);
  return `\n\n${formatDate(original.date)}, ${original.from}:\n${lines.join("\n")}\n`;
}

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function ComposePage({ route, onExpired }: {
  route: ComposeRoute;
  onExpired: (error: unknown) => void;
}) {
  const [to, setTo] = useState(route.to);
  const [cc, setCc] = useState("");
  const [subject, setSubject] = useState("");
  const [text, setText] = useState("");
  const [files, setFiles] = useState<OutgoingAttachment[]>([]);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const original = route.reply || route.forward;
    if (!original) return;
    api
      .message(original)
      .then((message) => {
        if (route.reply) {
          setTo(message.from);
          if (route.all) setCc(message.to.concat(message.cc).join(", "));
          setSubject(prefixed("Re:", message.subject));
        } else {
          setSubject(prefixed("Fwd:", message.subject));
        }
        setText(quoted(message));
      })
      .catch((failure) => {
        onExpired(failure);
        setError(errorText(failure));
      });
  }, [route.reply, route.forward]);

  const attach = async (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const chosen = Array.from(input.files ?? []);
    const read = await Promise.all(
      chosen.map(async (file) => ({
        name: file.name,
        content_type: file.type || "application/octet-stream",
        data_base64: await readBase64(file),
      })),
    );
    setFiles((current) => current.concat(read));
    input.value = "";
  };

  const send = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    setStatus(t("sending"));
    try {
      await api.send({
        to: splitAddresses(to),
        cc: splitAddresses(cc),
        subject,
        text,
        in_reply_to: route.reply,
        attachments: files,
      });
      setStatus(t("sent_ok"));
      setTo("");
      setCc("");
      setSubject("");
      setText("");
      setFiles([]);
    } catch (failure) {
      onExpired(failure);
      setStatus("");
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="compose" onSubmit={send} aria-labelledby="compose-title">
      <h1 id="compose-title">{route.reply ? t("reply") : route.forward ? t("forward") : t("compose")}</h1>
      <label for="compose-to">{t("to")}</label>
      <input id="compose-to" type="text" inputMode="email" autocomplete="email" required
        aria-describedby="recipients-hint" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
      <p id="recipients-hint" class="hint">{t("recipientsHint")}</p>
      <label for="compose-cc">{t("cc")}</label>
      <input id="compose-cc" type="text" inputMode="email" value={cc}
        onInput={(e) => setCc(e.currentTarget.value)} />
      <label for="compose-subject">{t("subject")}</label>
      <input id="compose-subject" type="text" value={subject}
        onInput={(e) => setSubject(e.currentTarget.value)} />
      <label for="compose-text">{t("message")}</label>
      <textarea id="compose-text" rows={12} value={text}
        onInput={(e) => setText(e.currentTarget.value)} />
      <label for="compose-files">{t("attach")}</label>
      <input id="compose-files" type="file" multiple onChange={attach} />
      {files.length > 0 && (
        <ul class="attachments">
          {files.map((file, index) => (
            <li key={index}>
              {file.name}{" "}
              <button type="button" class="link"
                onClick={() => setFiles(files.filter((_, i) => i !== index))}>
                {t("removeAttachment", { n: file.name })}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <p role="status" class="status">{status}</p>
      <button type="submit" class="primary" disabled={busy}>{t("send")}</button>
    </form>
  );
}
