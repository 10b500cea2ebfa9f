// A small JavaScript highlighter for the code shown on the page: comments,
// strings, numbers and keywords, enough to make the examples easy to read.

const token = new RegExp(
  [
    String.raw`(?<comment>\/\/[^\n]*|\/\*[\s\S]*?\*\/)`,
    String.raw`(?<string>'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|\x60(?:\\.|[^\x60\\])*\x60)`,
    String.raw`(?<number>\b\d[\d_]*(?:\.\d+)?n?\b)`,
    String.raw`(?<keyword>\b(?:async|await|break|case|const|else|export|for|from|function|if|import|let|new|of|return|switch|throw|typeof)\b)`,
  ].join('|'),
  'g',
)

const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Returns `source` as HTML with its tokens wrapped in `<span class="tok-…">`. */
export function highlight(source) {
  let html = ''
  let at = 0
  for (const match of source.matchAll(token)) {
    const kind = Object.keys(match.groups).find((name) => match.groups[name] !== undefined)
    html += escape(source.slice(at, match.index)) + `<span class="tok-${kind}">${escape(match[0])}</span>`
    at = match.index + match[0].length
  }
  return html + escape(source.slice(at))
}
