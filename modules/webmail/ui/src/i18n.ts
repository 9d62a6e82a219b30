// English and French, chosen from the browser's language (navigator.languages, then
// navigator.language). Every visible string goes through t().

const en = {
  appName: "Lifeboat webmail",
  skipToContent: "Skip to content",
  signIn: "Sign in",
  signInTitle: "Sign in to your mail",
  email: "Email address",
  password: "Password",
  totpCode: "Code from your authenticator app",
  totpNeeded: "Enter the 6-digit code from your authenticator app.",
  activateTitle: "Activate your account",
  activateExplain:
    "This is your first sign-in here. Enter the one-time code you received (by text message, " +
    "at your private address, or from your administrator) and choose a password.",
  activationCode: "One-time code",
  newPassword: "New password",
  confirmPassword: "Repeat the new password",
  passwordsDiffer: "The two passwords differ.",
  activate: "Activate and sign in",
  haveCode: "I have an activation code",
  backToSignIn: "Back to sign in",
  wrongCredentials: "Wrong email address, password or code.",
  throttled: "Too many attempts. Try again in {s} seconds.",
  unavailable: "The service is busy. Try again in a moment.",
  genericError: "Something went wrong ({e}).",
  notYetAvailable: "This part of the webmail is not available on this server yet.",
  loading: "Loading…",
  folders: "Folders",
  mainNav: "Main",
  compose: "New message",
  directory: "Directory",
  signOut: "Sign out",
  signedInAs: "Signed in as {u}",
  inbox: "Inbox",
  sent: "Sent",
  trash: "Trash",
  unreadCount: "{n} unread",
  emptyFolder: "No messages here.",
  olderMessages: "Older messages",
  from: "From",
  to: "To",
  cc: "Cc",
  subject: "Subject",
  date: "Date",
  noSubject: "(no subject)",
  attachments: "Attachments",
  hasAttachment: "has attachments",
  unread: "unread",
  flagged: "flagged",
  back: "Back",
  reply: "Reply",
  replyAll: "Reply all",
  forward: "Forward",
  markUnread: "Mark unread",
  flag: "Flag",
  unflag: "Remove flag",
  delete: "Delete",
  htmlFrameTitle: "Message content (formatted)",
  remoteBlocked: "Remote images and content are blocked in this message.",
  send: "Send",
  sending: "Sending…",
  sent_ok: "Message sent.",
  attach: "Attach a file",
  removeAttachment: "Remove {n}",
  message: "Message",
  recipientsHint: "Separate addresses with commas.",
  searchDirectory: "Search people by name, address or department",
  search: "Search",
  noPeople: "Nobody found.",
  name: "Name",
  titleCol: "Title",
  department: "Department",
  phone: "Phone",
  searchMail: "Search mail",
  searchResults: "Search results",
  messages: "Messages",
  kb: "{n} KB",
};

type Key = keyof typeof en;

const fr: Record<Key, string> = {
  appName: "Webmail Lifeboat",
  skipToContent: "Aller au contenu",
  signIn: "Se connecter",
  signInTitle: "Connexion à votre messagerie",
  email: "Adresse e-mail",
  password: "Mot de passe",
  totpCode: "Code de votre application d’authentification",
  totpNeeded: "Saisissez le code à 6 chiffres de votre application d’authentification.",
  activateTitle: "Activer votre compte",
  activateExplain:
    "C’est votre première connexion ici. Saisissez le code à usage unique reçu (par SMS, à " +
    "votre adresse personnelle ou de votre administrateur) et choisissez un mot de passe.",
  activationCode: "Code à usage unique",
  newPassword: "Nouveau mot de passe",
  confirmPassword: "Répétez le nouveau mot de passe",
  passwordsDiffer: "Les deux mots de passe diffèrent.",
  activate: "Activer et se connecter",
  haveCode: "J’ai un code d’activation",
  backToSignIn: "Retour à la connexion",
  wrongCredentials: "Adresse, mot de passe ou code incorrect.",
  throttled: "Trop de tentatives. Réessayez dans {s} secondes.",
  unavailable: "Le service est occupé. Réessayez dans un instant.",
  genericError: "Une erreur s’est produite ({e}).",
  notYetAvailable: "Cette partie du webmail n’est pas encore disponible sur ce serveur.",
  loading: "Chargement…",
  folders: "Dossiers",
  mainNav: "Principal",
  compose: "Nouveau message",
  directory: "Annuaire",
  signOut: "Se déconnecter",
  signedInAs: "Connecté en tant que {u}",
  inbox: "Boîte de réception",
  sent: "Envoyés",
  trash: "Corbeille",
  unreadCount: "{n} non lus",
  emptyFolder: "Aucun message ici.",
  olderMessages: "Messages plus anciens",
  from: "De",
  to: "À",
  cc: "Cc",
  subject: "Objet",
  date: "Date",
  noSubject: "(sans objet)",
  attachments: "Pièces jointes",
  hasAttachment: "avec pièces jointes",
  unread: "non lu",
  flagged: "suivi",
  back: "Retour",
  reply: "Répondre",
  replyAll: "Répondre à tous",
  forward: "Transférer",
  markUnread: "Marquer comme non lu",
  flag: "Suivre",
  unflag: "Ne plus suivre",
  delete: "Supprimer",
  htmlFrameTitle: "Contenu du message (mis en forme)",
  remoteBlocked: "Les images et contenus distants de ce message sont bloqués.",
  send: "Envoyer",
  sending: "Envoi…",
  sent_ok: "Message envoyé.",
  attach: "Joindre un fichier",
  removeAttachment: "Retirer {n}",
  message: "Message",
  recipientsHint: "Séparez les adresses par des virgules.",
  searchDirectory: "Chercher une personne par nom, adresse ou service",
  search: "Rechercher",
  noPeople: "Personne trouvée.",
  name: "Nom",
  titleCol: "Fonction",
  department: "Service",
  phone: "Téléphone",
  searchMail: "Rechercher dans le courrier",
  searchResults: "Résultats de la recherche",
  messages: "Messages",
  kb: "{n} Ko",
};

function pickLanguage(): "en" | "fr" {
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of wanted) {
    const primary = (tag || "").toLowerCase().split("-")[0];
    if (primary === "fr") return "fr";
    if (primary === "en") return "en";
  }
  return "en";
}

export const language = pickLanguage();
const table: Record<Key, string> = language === "fr" ? fr : en;

export function t(key: Key, values: Record<string, string | number> = {}): string {
  return table[key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ""));
}

export function folderLabel(name: string): string {
  if (name === "Inbox") return t("inbox");
  if (name === "Sent") return t("sent");
  if (name === "Trash") return t("trash");
  return name;
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language === "fr" ? "fr-FR" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
  }).format(date);
}
