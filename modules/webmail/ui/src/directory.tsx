// The company directory: name, address, phone, department, what people need when their usual
// tools are gone.
import { useState } from "preact/hooks";
import { api, Person } from "./api";
import { t } from "./i18n";
import { errorText } from "./login";

export function DirectoryPage({ onExpired }: { onExpired: (error: unknown) => void }) {
  const [text, setText] = useState("");
  const [people, setPeople] = useState<Person[] | null>(null);
  const [error, setError] = useState("");

  const search = (event: Event) => {
    event.preventDefault();
    api
      .directory(text.trim())
      .then((answer) => {
        setPeople(answer.people);
        setError("");
      })
      .catch((failure) => {
        onExpired(failure);
        setError(errorText(failure));
      });
  };

  return (
    <section aria-labelledby="directory-title">
      <h1 id="directory-title">{t("directory")}</h1>
      <form role="search" onSubmit={search} class="inline">
        <label for="directory-query">{t("searchDirectory")}</label>
        <input id="directory-query" type="search" value={text}
          onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit">{t("search")}</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {people && people.length === 0 && <p role="status">{t("noPeople")}</p>}
      {people && people.length > 0 && (
        <table class="people">
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("email")}</th>
              <th scope="col">{t("titleCol")}</th>
              <th scope="col">{t("department")}</th>
              <th scope="col">{t("phone")}</th>
            </tr>
          </thead>
          <tbody>
            {people.map((person) => (
              <tr key={person.email}>
                <th scope="row">{person.name}</th>
                <td><a href={`#/compose?to=${encodeURIComponent(person.email)}`}>{person.email}</a></td>
                <td>{person.title}</td>
                <td>{person.department}</td>
                <td>{person.phone && <a href={`tel:${person.phone}`}>{person.phone}</a>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
