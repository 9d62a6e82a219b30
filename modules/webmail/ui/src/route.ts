// The page the URL fragment names.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "folder"; folder: string }
  | { page: "message"; id: string }
  | { page: "compose"; reply: string; all: boolean; forward: string; to: string }
  | { page: "directory" }
  | { page: "search"; words: string };

export function parseRoute(hash: string): Route {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  switch (parts[0]) {
    case "message":
      return { page: "message", id: parts[1] ?? "" };
    case "compose":
      return {
        page: "compose",
        reply: params.get("reply") ?? "",
        all: params.get("all") === "1",
        forward: params.get("forward") ?? "",
        to: params.get("to") ?? "",
      };
    case "directory":
      return { page: "directory" };
    case "search":
      return { page: "search", words: params.get("q") ?? "" };
    default:
      return { page: "folder", folder: parts[1] ?? "Inbox" };
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export const folderHref = (folder: string) => `#/folder/${encodeURIComponent(folder)}`;
export const messageHref = (id: string) => `#/message/${encodeURIComponent(id)}`;
