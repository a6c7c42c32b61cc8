/** Vite's `?raw` imports: a file's text, bundled (the rating page shows contracts/RATING.md this way). */
declare module '*.md?raw' {
  const text: string;
  export default text;
}
