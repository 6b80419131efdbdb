/** Small DOM helpers shared by the web app's views. */

/** `document.getElementById`, typed; the ids are those of index.html (or made by a view). */
export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * Offer `text` as a file download named `name` with MIME type `type`, through a `blob:` URL made in this tab
 * (nothing is sent anywhere; the URL is revoked after 10 s).
 */
export function downloadText(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
