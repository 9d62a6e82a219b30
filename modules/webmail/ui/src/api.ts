// The JSON API of /work/wt/webmail_contract.md (modules/webmail/handler.h): same-origin fetches,
// the session cookie sent by the browser, the CSRF token on every POST.

export interface ApiError {
  status: number;
  error: string;
  message: string;
}

export interface Folder {
  name: string;
  total: number;
  unread: number;
}

export interface MessageSummary {
  id: string;
  from: string;
  to: string[];
  subject: string;
  date: string;
  preview: string;
  seen: boolean;
  flagged: boolean;
  has_attachments: boolean;
  size: number;
}

export interface Attachment {
  index: number;
  name: string;
  content_type: string;
  size: number;
}

export interface Message {
  id: string;
  folder: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  date: string;
  seen: boolean;
  flagged: boolean;
  text: string;
  has_html: boolean;
  attachments: Attachment[];
}

export interface Person {
  name: string;
  email: string;
  title: string;
  department: string;
  phone: string;
}

export interface OutgoingAttachment {
  name: string;
  content_type: string;
  data_base64: string;
}

export interface Outgoing {
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  in_reply_to: string;
  attachments: OutgoingAttachment[];
}

export interface Session {
  user_id: string;
  csrf_token: string;
}

let csrfToken = "";

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method === "POST") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = csrfToken;
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: method === "POST" ? JSON.stringify(body ?? {}) : undefined,
  });
  const text = await response.text();
  let parsed: any = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = {};
  }
  if (!response.ok) {
    const failure: ApiError = {
      status: response.status,
      error: String(parsed.error ?? "http_" + response.status),
      message: String(parsed.message ?? response.statusText),
    };
    throw failure;
  }
  return parsed as T;
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === "object" && value !== null && "status" in value && "error" in value;
}

const q = encodeURIComponent;

export const api = {
  session: () => call<Session>("GET", "/api/session"),
  login: (user: string, password: string, totp: string) =>
    call<Session>("POST", "/api/login", totp ? { user, password, totp } : { user, password }),
  activate: (user: string, code: string, new_password: string) =>
    call<Session>("POST", "/api/activate", { user, code, new_password }),
  logout: () => call<object>("POST", "/api/logout", {}),
  folders: () => call<{ folders: Folder[] }>("GET", "/api/folders"),
  messages: (folder: string, before: string) =>
    call<{ messages: MessageSummary[]; next: string }>(
      "GET",
      `/api/messages?folder=${q(folder)}&limit=50` + (before ? `&before=${q(before)}` : ""),
    ),
  message: (id: string) => call<Message>("GET", `/api/messages/${q(id)}`),
  setFlags: (id: string, flags: { seen?: boolean; flagged?: boolean }) =>
    call<object>("POST", `/api/messages/${q(id)}/flags`, flags),
  move: (id: string, folder: string) =>
    call<object>("POST", `/api/messages/${q(id)}/move`, { folder }),
  remove: (id: string) => call<object>("POST", `/api/messages/${q(id)}/delete`, {}),
  send: (message: Outgoing) => call<{ id: string }>("POST", "/api/send", message),
  directory: (text: string) => call<{ people: Person[] }>("GET", `/api/directory?q=${q(text)}`),
  search: (words: string) =>
    call<{ messages: MessageSummary[]; next: string }>("GET", `/api/search?q=${q(words)}&limit=50`),
};

export const htmlUrl = (id: string) => `/api/messages/${q(id)}/html`;
export const attachmentUrl = (id: string, index: number) =>
  `/api/messages/${q(id)}/attachments/${index}`;
