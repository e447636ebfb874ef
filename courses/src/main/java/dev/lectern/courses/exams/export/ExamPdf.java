package dev.lectern.courses.exams.export;

import dev.lectern.core.config.ExamsConfig;
import dev.lectern.core.error.ServiceException;
import dev.lectern.courses.exams.Question;
import dev.lectern.courses.exams.QuestionContent;
import dev.lectern.courses.exams.QuestionContent.Option;
import dev.lectern.courses.exams.QuestionType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDType0Font;

/**
 * An exam as an A4 PDF with PDFBox: the student copy (questions, options lettered A, B, …, lines for written
 * answers) or the answer key (keys marked ✓, numeric answers with their tolerance, model answers, explanations). The
 * text is set in DejaVu Sans, embedded as a subset, so any script and symbol DejaVu covers renders ("CO₂", "∫",
 * "Zoë"); a character it lacks becomes "?" rather than failing the export.
 */
public final class ExamPdf {
    /** Where Debian's fonts-dejavu-core puts the fonts. */
    public static final Path DEFAULT_FONT_DIR = Path.of(ExamsConfig.DEFAULT_FONT_DIR);
    private static final float MARGIN = 56;
    private static final float BODY = 11;
    private static final float LEADING = 1.35f;

    private final Path regular;
    private final Path bold;

    public ExamPdf(Path fontDir) {
        this.regular = fontDir.resolve("DejaVuSans.ttf");
        this.bold = fontDir.resolve("DejaVuSans-Bold.ttf");
    }

    /** @throws ServiceException 503 {@code fonts_missing} when the DejaVu fonts are not installed */
    public byte[] render(String title, List<Question> questions, boolean answerKey) {
        if (!Files.isReadable(regular) || !Files.isReadable(bold)) {
            throw new ServiceException(503, "fonts_missing", "PDF export needs the DejaVu fonts ("
                    + regular.getParent() + "; Debian: fonts-dejavu-core)");
        }
        try (PDDocument doc = new PDDocument()) {
            PDDocumentInformation info = doc.getDocumentInformation();
            info.setTitle(title + (answerKey ? " (answer key)" : ""));
            info.setCreator("Lectern");
            Layout l = new Layout(doc, PDType0Font.load(doc, regular.toFile()), PDType0Font.load(doc, bold.toFile()));
            l.paragraph(title, l.bold, 16, 0);
            l.paragraph(answerKey ? "Answer key" : "Name: ______________________________", l.regular, BODY, 0);
            l.gap(10);
            for (int i = 0; i < questions.size(); i++) {
                question(l, i + 1, questions.get(i).content(), answerKey);
            }
            l.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render the exam PDF", e);
        }
    }

    private static void question(Layout l, int number, QuestionContent q, boolean key) throws IOException {
        String points = ExportNumbers.format(q.points()) + (q.points() == 1 ? " point" : " points");
        l.paragraph(number + ". " + q.stem() + "  (" + points + ")", l.bold, BODY, 0);
        switch (q.type()) {
            case SINGLE_CHOICE, MULTIPLE_SELECT, TRUE_FALSE -> {
                if (q.type() == QuestionType.MULTIPLE_SELECT && !key) {
                    l.paragraph("Select all that apply.", l.regular, BODY - 1, 14);
                }
                for (int i = 0; i < q.options().size(); i++) {
                    Option o = q.options().get(i);
                    String mark = key ? (o.correct() ? "✓ " : "   ") : "";
                    l.paragraph(mark + (char) ('A' + i) + ") " + o.text(), o.correct() && key ? l.bold : l.regular,
                            BODY, 14);
                }
            }
            case NUMERIC -> l.paragraph(key ? "Answer: " + ExportNumbers.format(q.numericAnswer()) + " ± "
                    + ExportNumbers.format(q.tolerance()) : "Answer: ____________", l.regular, BODY, 14);
            case SHORT_ANSWER, ESSAY -> {
                if (key) {
                    List<String> accepted = q.keys().stream().map(Option::text).toList();
                    if (!accepted.isEmpty()) {
                        l.paragraph("Accepted: " + String.join("; ", accepted), l.regular, BODY, 14);
                    }
                    if (!q.modelAnswer().isBlank()) {
                        l.paragraph("Model answer: " + q.modelAnswer(), l.regular, BODY, 14);
                    }
                } else {
                    int lines = q.type() == QuestionType.ESSAY ? 10 : 3;
                    for (int i = 0; i < lines; i++) {
                        l.rule(14);
                    }
                }
            }
        }
        if (key && !q.explanation().isBlank()) {
            l.paragraph("Explanation: " + q.explanation(), l.regular, BODY - 1, 14);
        }
        if (key && q.citation() != null && !q.citation().quote().isBlank()) {
            l.paragraph("Source: “" + q.citation().quote() + "”", l.regular, BODY - 2, 14);
        }
        l.gap(8);
    }

    /** Pages, a cursor, word wrap and glyph fallback. */
    private static final class Layout {
        final PDDocument doc;
        final PDFont regular;
        final PDFont bold;
        final Map<PDFont, Map<Integer, Boolean>> glyphs = new HashMap<>();
        PDPageContentStream page;
        float y;
        final float width = PDRectangle.A4.getWidth() - 2 * MARGIN;

        Layout(PDDocument doc, PDFont regular, PDFont bold) throws IOException {
            this.doc = doc;
            this.regular = regular;
            this.bold = bold;
            newPage();
        }

        void newPage() throws IOException {
            if (page != null) {
                page.close();
            }
            PDPage p = new PDPage(PDRectangle.A4);
            doc.addPage(p);
            page = new PDPageContentStream(doc, p);
            y = PDRectangle.A4.getHeight() - MARGIN;
        }

        void gap(float points) {
            y -= points;
        }

        void rule(float indent) throws IOException {
            float h = BODY * LEADING * 1.4f;
            if (y - h < MARGIN) {
                newPage();
            }
            y -= h;
            page.moveTo(MARGIN + indent, y);
            page.lineTo(MARGIN + width, y);
            page.setLineWidth(0.4f);
            page.stroke();
        }

        void paragraph(String text, PDFont font, float size, float indent) throws IOException {
            for (String hard : text.split("\\R")) {
                for (String line : wrap(safe(font, hard), font, size, width - indent)) {
                    float h = size * LEADING;
                    if (y - h < MARGIN) {
                        newPage();
                    }
                    y -= h;
                    page.beginText();
                    page.setFont(font, size);
                    page.newLineAtOffset(MARGIN + indent, y);
                    page.showText(line);
                    page.endText();
                }
            }
        }

        List<String> wrap(String text, PDFont font, float size, float max) throws IOException {
            List<String> lines = new ArrayList<>();
            StringBuilder line = new StringBuilder();
            for (String word : text.split(" ")) {
                String candidate = line.isEmpty() ? word : line + " " + word;
                if (font.getStringWidth(candidate) / 1000 * size <= max || line.isEmpty()) {
                    line.setLength(0);
                    line.append(candidate);
                } else {
                    lines.add(line.toString());
                    line.setLength(0);
                    line.append(word);
                }
                while (font.getStringWidth(line.toString()) / 1000 * size > max && line.length() > 1) {
                    int cut = line.length() - 1;
                    while (cut > 1 && font.getStringWidth(line.substring(0, cut)) / 1000 * size > max) {
                        cut--;
                    }
                    lines.add(line.substring(0, cut));
                    line.delete(0, cut);
                }
            }
            lines.add(line.toString());
            return lines;
        }

        /** Tabs to spaces, control characters dropped, characters the font lacks → "?". */
        String safe(PDFont font, String s) {
            Map<Integer, Boolean> known = glyphs.computeIfAbsent(font, f -> new HashMap<>());
            StringBuilder b = new StringBuilder();
            s.replace('\t', ' ').codePoints().forEach(cp -> {
                if (Character.isISOControl(cp)) {
                    return;
                }
                boolean ok = known.computeIfAbsent(cp, c -> {
                    try {
                        font.encode(new String(Character.toChars(c)));
                        return true;
                    } catch (IOException | IllegalArgumentException e) {
                        return false;
                    }
                });
                b.appendCodePoint(ok ? cp : '?');
            });
            return b.toString();
        }

        void finish() throws IOException {
            page.close();
        }
    }
}
