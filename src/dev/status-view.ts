/**
 * Where `turbine dev` shows its status table: on a terminal it is redrawn in place (the cursor
 * moves up over the previous table, which is then cleared), elsewhere each table is printed
 * after the last, so that a log file or a pipe keeps every one.
 */
export class StatusView {
  private shownLines = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  show(text: string): void {
    const body = text.endsWith('\n') ? text : `${text}\n`;
    if (this.out.isTTY && this.shownLines > 0) this.out.write(`\x1b[${this.shownLines}A\x1b[0J`);
    this.out.write(body);
    this.shownLines = body.split('\n').length - 1;
  }

  /** Leaves the last table on screen; whatever is written next goes below it. */
  release(): void {
    this.shownLines = 0;
  }
}
