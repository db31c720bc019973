// Escaping of text that comes from a scenario (names, descriptions, check names, messages, fault
// lines) before it goes into the HTML report: a scenario's strings are data, never markup.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes `& < > " '` so the text is safe both as element content and inside a quoted attribute. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (character) => ENTITIES[character]!);
}
