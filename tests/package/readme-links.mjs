// The link targets of a Markdown text, as a renderer (npm's, GitHub's) would follow them: inline
// links and images, reference definitions, autolinks and HTML href/src; code is not searched.

/** Every link target in `markdown`, in order. */
export function linkTargets(markdown) {
  const prose = markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "") // fenced code blocks
    .replace(/(`+)[\s\S]*?\1/g, ""); // code spans
  const targets = [];
  const patterns = [
    /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g, // [text](target "title"), ![alt](src)
    /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm, // [label]: target
    /<((?:https?|mailto):[^>\s]+)>/g, // <https://…>
    /\b(?:href|src)\s*=\s*["']([^"']+)["']/g, // <a href="…">, <img src="…">
  ];
  for (const pattern of patterns) {
    for (const match of prose.matchAll(pattern)) targets.push({ at: match.index, target: match[1] });
  }
  return targets.sort((a, b) => a.at - b.at).map((t) => t.target);
}

/** A target that names a file beside the README rather than a site (`https:`, `//host`) or a heading (`#x`). */
export const isRelative = (target) => !/^[a-z][a-z0-9+.-]*:|^\/\/|^#/i.test(target);
