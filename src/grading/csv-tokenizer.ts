/**
 * CSV split into records the way pandas' C parser does it with read_csv's defaults (delimiter ",", quote '"',
 * doubled quotes, no escape character, skip_blank_lines=True). Submissions are graded by MLE-bench through
 * pandas, so a file must split into the same rows and fields here, including pandas' quirks:
 *
 * - a line holding only spaces and tabs is blank and skipped, like an empty line;
 * - characters after a closing quote join the field (`"0.05" ` is the field `0.05 `, and `"a"b` is `ab`);
 * - a quote inside an unquoted field is an ordinary character;
 * - "\n", "\r\n" and a lone "\r" all end a line; a blank line made of a lone "\r" swallows a comma that
 *   follows it, as pandas does.
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the file where the record starts (blank lines counted), for messages. */
  line: number;
}

export interface TokenizedCsv {
  records: CsvRecord[];
  /** The file ends inside a quoted field that starts on this line (pandas: "EOF inside string"). */
  unclosedQuoteLine?: number;
}

const enum State {
  StartRecord,
  StartField,
  InField,
  InQuoted,
  QuoteInQuoted,
  /** The line so far is spaces and tabs: skipped if it ends that way, re-read as fields otherwise. */
  WhitespaceLine,
  /** A "\r" ended a field; a "\n" right after it belongs to the same line end. */
  EatCrnl,
  /** A "\r" ended a blank line. */
  EatCrnlNop,
}

const NL = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;
const SPACE = 32;
const TAB = 9;

/**
 * Split CSV text (already decoded, BOM removed) into records. An unclosed quote is reported, not thrown, so the
 * caller can first report what pandas meets first (a row with too many fields before it).
 */
export function tokenizeCsv(text: string): TokenizedCsv {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  // Slices of text are appended in runs rather than char by char: most fields have no quotes.
  let runStart = -1;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  let lineStart = 0;
  let state = State.StartRecord;

  const flush = (i: number) => {
    if (runStart >= 0) {
      field += text.slice(runStart, i);
      runStart = -1;
    }
  };
  const endField = (i: number) => {
    flush(i);
    fields.push(field);
    field = "";
  };
  const endLine = () => {
    records.push({ fields, line: recordLine });
    fields = [];
  };

  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    switch (state) {
      case State.StartRecord:
        recordLine = line;
        if (c === NL) {
          line++;
          continue;
        }
        if (c === CR) {
          line++;
          state = State.EatCrnlNop;
          continue;
        }
        if (c === SPACE || c === TAB) {
          lineStart = i;
          state = State.WhitespaceLine;
          continue;
        }
      // An ordinary first character: the record's first field starts here.
      // falls through
      case State.StartField:
        if (c === NL) {
          endField(i);
          endLine();
          line++;
          state = State.StartRecord;
        } else if (c === CR) {
          endField(i);
          line++;
          state = State.EatCrnl;
        } else if (c === QUOTE) {
          quoteLine = line;
          state = State.InQuoted;
        } else if (c === COMMA) {
          endField(i);
          state = State.StartField;
        } else {
          runStart = i;
          state = State.InField;
        }
        break;
      case State.InField:
        if (c === NL) {
          endField(i);
          endLine();
          line++;
          state = State.StartRecord;
        } else if (c === CR) {
          endField(i);
          line++;
          state = State.EatCrnl;
        } else if (c === COMMA) {
          endField(i);
          state = State.StartField;
        } else if (runStart < 0) {
          runStart = i;
        }
        break;
      case State.InQuoted:
        if (c === QUOTE) {
          flush(i);
          state = State.QuoteInQuoted;
        } else {
          if (c === NL || (c === CR && text.charCodeAt(i + 1) !== NL)) line++;
          if (runStart < 0) runStart = i;
        }
        break;
      case State.QuoteInQuoted:
        if (c === QUOTE) {
          runStart = i; // a doubled quote is one quote character
          state = State.InQuoted;
        } else if (c === COMMA) {
          endField(i);
          state = State.StartField;
        } else if (c === NL) {
          endField(i);
          endLine();
          line++;
          state = State.StartRecord;
        } else if (c === CR) {
          endField(i);
          line++;
          state = State.EatCrnl;
        } else {
          runStart = i;
          state = State.InField;
        }
        break;
      case State.WhitespaceLine:
        if (c === NL) {
          line++;
          state = State.StartRecord;
        } else if (c === CR) {
          line++;
          state = State.EatCrnlNop;
        } else if (c !== SPACE && c !== TAB) {
          // Not blank after all: read the line again from its start as fields.
          i = lineStart - 1;
          state = State.StartField;
        }
        break;
      case State.EatCrnl:
        if (c === NL) {
          endLine();
          state = State.StartRecord;
        } else if (c === COMMA) {
          // "\r," : the line ended, and the next one starts with an empty field.
          endLine();
          recordLine = line;
          endField(i);
          state = State.StartField;
        } else {
          endLine();
          state = State.StartRecord;
          i--; // a lone "\r" ended the line: read this character again as the next record's first
        }
        break;
      case State.EatCrnlNop:
        state = State.StartRecord;
        if (c !== NL && c !== COMMA) i--;
        break;
    }
  }
  switch (state) {
    case State.InQuoted:
      return { records, unclosedQuoteLine: quoteLine };
    case State.InField:
    case State.StartField:
    case State.QuoteInQuoted:
      endField(n);
      endLine();
      break;
    case State.EatCrnl:
      endLine();
      break;
    default:
      break;
  }
  return { records };
}
