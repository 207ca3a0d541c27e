"""Print the single-page build of the book to one PDF with Chromium (``make pdf``).

Usage: python pdf/print_book.py SINGLE_PAGE_HTML OUTPUT_PDF

The single-page build (Sphinx's ``singlehtml`` builder, see ``_ext/book_pdf.py``) already
has every formula typeset by KaTeX, every equation numbered (B.1)-(B.11), (2.1), ..., and
every cross-reference, citation and glossary term as a link inside the one page. In
Chromium (Debian's ``/usr/bin/chromium``, through Playwright) this script

1. keeps only the book's text (no navigation), opens every solution, and adds a title page,
   a table of contents, and "Chapter n" above each chapter's title (numbered as the site
   numbers them: the chapters' places in ``_toc.yml``);
2. keeps a code block or a box (an exercise, a solution) in one piece on paper only if it
   is shorter than a quarter of a page: a longer one would be moved whole to the next page
   and leave the page before it nearly empty;
3. checks that nothing sticks out to the right of the text (a wider code line, output,
   table, formula or figure would be cut at the paper's edge) and stops if something does;
4. prints, reads on which page each heading landed (the named destinations Chromium writes
   for link targets), writes those numbers into the contents, and prints again, until the
   numbers no longer change (twice, in practice; the first print, which only has to say where
   the headings are, is made without the PDF's tags and outline, which cost time);
5. rewrites the links to the site's own files (the notebooks bundle, the assignments'
   notebooks) relative to the PDF, which sits at the site's top beside them, so the PDF
   names no folder of the machine that printed it, and sets the PDF's title and author.
"""

import io
import logging
import sys
import time
from pathlib import Path

import yaml
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import book_contents  # noqa: E402  (the table of contents, read in one place)

CHROMIUM = "/usr/bin/chromium"
logging.getLogger("pypdf").setLevel(logging.ERROR)   # Chromium's trailer size is off by a few objects
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FOOTER = ('<div style="font-size:8pt;width:100%;text-align:center;color:#444;">'
          '<span class="pageNumber"></span></div>')
MARGIN = {"top": "18mm", "bottom": "20mm", "left": "17mm", "right": "17mm"}
# The text area of an A4 page in CSS pixels (96 to the inch): 210 - 2 * 17 mm by 297 - 38 mm.
TEXT_WIDTH, TEXT_HEIGHT = round((210 - 34) / 25.4 * 96), round((297 - 38) / 25.4 * 96)

# JavaScript: the printed book, built from the single page. `meta` holds the title page's
# text and the chapters' documents (numbered in this order).
PREPARE = r"""(meta) => {
  const article = document.querySelector('article.bd-article');
  article.querySelectorAll('.headerlink, .copybtn, button.toggle-button').forEach(e => e.remove());
  // Solutions and dropdowns open, as a reader who clicks them would see them.
  article.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  article.querySelectorAll('details').forEach(d => d.open = true);
  article.querySelectorAll('img[loading]').forEach(i => i.loading = 'eager');
  // A link to this page with a fragment is a link inside the document.
  const here = location.href.split('#')[0];
  article.querySelectorAll('a[href]').forEach(a => {
    if (a.href.split('#')[0] === here && a.href.includes('#')) a.setAttribute('href', '#' + a.href.split('#')[1]);
  });
  const parts = [];
  const intro = article.querySelector(':scope > section');
  parts.push({doc: meta.root, section: intro});
  article.querySelectorAll('span[id^="document-"]').forEach(span => {
    parts.push({doc: span.id.slice('document-'.length), section: span.nextElementSibling});
  });
  const book = document.createElement('main');
  book.className = 'print-book bd-article';
  const title = document.createElement('section');
  title.className = 'title-page';
  title.innerHTML = '<h1></h1><p class="subtitle"></p>' + meta.byline.map(() => '<p class="byline"></p>').join('');
  title.querySelector('h1').textContent = meta.title;
  title.querySelector('.subtitle').textContent = meta.subtitle;
  title.querySelectorAll('.byline').forEach((p, i) => p.textContent = meta.byline[i]);
  book.append(title);
  const nav = document.createElement('nav');
  nav.className = 'book-contents';
  nav.innerHTML = '<h2>Contents</h2><ol></ol>';
  const list = nav.querySelector('ol');
  const entry = (cls, number, text, id) => {
    const li = document.createElement('li');
    li.className = cls;
    li.innerHTML = '<a><span class="number"></span><span class="text"></span><span class="leader"></span><span class="page">00</span></a>';
    li.querySelector('a').setAttribute('href', '#' + id);
    li.querySelector('.number').textContent = number;
    li.querySelector('.text').textContent = text;
    list.append(li);
  };
  const heading = s => s.querySelector(':scope > h1, :scope > h2, :scope > h3').textContent.trim();
  const targets = [];
  for (const part of parts) {
    const wrapper = document.createElement('div');
    wrapper.className = 'book-part';
    wrapper.id = 'part-' + part.doc.replace(/[^A-Za-z0-9]+/g, '-');
    const chapter = meta.chapters.indexOf(part.doc) + 1;
    const text = heading(part.section);
    if (chapter > 0) {
      const label = document.createElement('p');
      label.className = 'chapter-label';
      label.textContent = 'Chapter ' + chapter;
      wrapper.append(label);
    }
    wrapper.append(part.section);
    book.append(wrapper);
    // (A chapter whose title has its number, "1. Divergences ...", is not numbered twice.)
    const number = chapter > 0 && !text.startsWith(chapter + '.') ? String(chapter) : '';
    // A page that continues a chapter is listed under it, as its sections are.
    entry(meta.continued.includes(part.doc) ? 'section' : 'chapter', number, text, wrapper.id);
    targets.push(wrapper.id);
    if (chapter > 0) {
      part.section.querySelectorAll(':scope > section').forEach(sub => {
        const h = sub.querySelector(':scope > h2, :scope > h3');
        if (!h) return;
        // The heading gets an id of its own (every chapter has a section "exercises"): the
        // page it lands on, not an anchor left at the foot of the page before.
        h.id = 'toc-' + targets.length;
        entry('section', '', h.textContent.trim(), h.id);
        targets.push(h.id);
      });
    }
  }
  book.prepend(title);
  title.after(nav);
  document.body.replaceChildren(book);
  document.body.className = '';
  return targets;
}"""

# JavaScript: the code blocks and boxes short enough to keep in one piece (pdf/print.css lets
# the others break across pages).
KEEP_SHORT_TOGETHER = r"""(limit) => {
  for (const e of document.querySelectorAll('main.print-book div.highlight, main.print-book .admonition')) {
    if (e.getBoundingClientRect().height < limit) e.classList.add('keep-together');
  }
}"""

# JavaScript: elements whose box reaches beyond the right edge of the text (they would be cut).
OVERFLOWING = r"""() => {
  const right = document.querySelector('main.print-book').getBoundingClientRect().right + 0.5;
  const wide = [];
  for (const e of document.querySelectorAll('main.print-book *')) {
    const r = e.getBoundingClientRect();
    // A formula is measured whole (KaTeX draws stretchy symbols with wide SVG paths that it clips).
    const inFormula = e.closest('.katex') && !e.classList.contains('katex');
    if (r.width > 0 && r.right > right && !inFormula) {
      const where = e.closest('[id]');
      wide.push(`${e.tagName.toLowerCase()}.${e.getAttribute('class')} near #${where ? where.id : '?'} (${Math.round(r.right - right)} px)`);
    }
  }
  return wide.slice(0, 20);
}"""


def book_meta():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    contents = book_contents.read(ROOT)
    return {
        "title": config["title"],
        "subtitle": "An executable companion to Appendix B of Mathematical Engineering of Deep Learning",
        "byline": [f"By {config['author']}", f"© {config['copyright']}",
                   "Printed from the same sources as the website"],
        "root": contents.root,
        "chapters": [doc for doc in contents.parts if doc.startswith("chapters/")],
        # the pages a chapter goes on over (its sections in _toc.yml)
        "continued": contents.continuations,
    }


def heading_pages(pdf_bytes, targets):
    """{id: page number (1 = first page)} for each target that Chromium wrote a destination for."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    pages = {}
    for name, dest in reader.named_destinations.items():
        pages[name.lstrip("/")] = reader.get_destination_page_number(dest) + 1
    missing = [t for t in targets if t not in pages]
    if missing:
        raise SystemExit(f"print_book: no destination in the PDF for {missing[:5]}")
    return {t: pages[t] for t in targets}


def finish(pdf_bytes, base_url, meta):
    """Links to the site's files made relative to the PDF; the document's title and author."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    writer = PdfWriter(clone_from=reader)
    base = base_url.rsplit("/", 1)[0] + "/"
    for page in writer.pages:
        for annot in page.get("/Annots", []) or []:
            action = annot.get_object().get("/A")
            if action is None or "/URI" not in action:
                continue
            uri = str(action["/URI"])
            if uri.startswith(base):
                action[NameObject("/URI")] = TextStringObject(uri[len(base):])
            elif uri.startswith("file:"):
                raise SystemExit(f"print_book: a link leads outside the site: {uri}")
    writer.add_metadata({"/Title": meta["title"], "/Author": meta["byline"][0][3:],
                         "/Subject": meta["subtitle"]})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main(single_page, output):
    from playwright.sync_api import sync_playwright

    start = time.monotonic()
    meta = book_meta()
    page_file = Path(single_page).resolve()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # Laid out from the start as printed, at the text's width on A4 (each new layout of
        # the whole book costs seconds).
        page = browser.new_page(viewport={"width": TEXT_WIDTH, "height": TEXT_HEIGHT})
        page.emulate_media(media="print")
        page.goto(page_file.as_uri(), wait_until="load")
        page.add_style_tag(path=str(ROOT / "pdf" / "print.css"))
        # What a browser tells a page before it prints: the explorable figures, drawn only as
        # they near the screen, draw now, before the layout below is measured.
        page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        targets = page.evaluate(PREPARE, meta)
        page.evaluate("""() => Promise.all(Array.from(document.images).map(i =>
            i.complete ? null : new Promise(done => { i.onload = i.onerror = done; })))""")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        wide = page.evaluate(OVERFLOWING)
        if wide:
            raise SystemExit("print_book: wider than the page, would be cut:\n  " + "\n  ".join(wide))
        page.evaluate(KEEP_SHORT_TOGETHER, TEXT_HEIGHT / 4)
        options = dict(format="A4", margin=MARGIN, print_background=True, display_header_footer=True,
                       header_template="<span></span>", footer_template=FOOTER, outline=True, tagged=True)
        draft = dict(options, outline=False, tagged=False)   # the same pages, sooner
        numbers, passes = None, 0
        while True:
            pdf = page.pdf(**(options if numbers else draft))
            passes += 1
            found = heading_pages(pdf, targets)
            if found == numbers or passes == 4:
                break
            numbers = found
            page.evaluate("""(numbers) => { for (const [id, n] of Object.entries(numbers))
                document.querySelector(`nav.book-contents a[href="#${CSS.escape(id)}"] .page`).textContent = n; }""",
                          numbers)
        browser.close()
    if found != numbers:
        raise SystemExit("print_book: the contents' page numbers did not settle")
    pdf = finish(pdf, page_file.as_uri(), meta)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_bytes(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"print_book: {output}, {pages} pages, {passes} passes, {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
