/** A message that something went wrong (the server's words, which name what and what to do), read out at once; nothing without one. */
export function Alert({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}
