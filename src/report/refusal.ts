/** The first sentence of a refusal's message, without its full stop: what the banner states. */
export function refusalSentence(message: string): string {
  const first = message.split(/(?<=[.!?])\s+(?=[A-Z"(])/)[0] ?? message;
  return first.trim().replace(/\.$/, '');
}
