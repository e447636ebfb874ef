package dev.lectern.courses.exams.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;

/** The PDF round trip: render with PDFBox, read back with PDFBox's text extraction and font resources. */
class ExamPdfTest {
    private final ExamPdf pdf = new ExamPdf(ExamPdf.DEFAULT_FONT_DIR);

    @Test
    void theStudentCopyRendersUnicodeWithEmbeddedFontsAndNoKeys() throws Exception {
        byte[] bytes = pdf.render("Chemistry — midterm", SampleExam.chemistry(), false);
        try (PDDocument doc = Loader.loadPDF(bytes)) {
            String text = new PDFTextStripper().getText(doc);
            assertThat(text).contains("Chemistry — midterm", "Name:", "1. Which gas do plants take up for "
                    + "photosynthesis?", "B) CO₂", "Compute ∫₀¹ 2x dx.", "Zoë Ångström's sample of CO₂",
                    "Select all that apply.", "Answer: ____________");
            assertThat(text).doesNotContain("✓", "Model answer", "Accepted:", "It sublimes");
            assertThat(fonts(doc)).isNotEmpty().allSatisfy(f -> {
                assertThat(f.isEmbedded()).isTrue();
                assertThat(f.getName()).contains("DejaVuSans");
            });
        }
    }

    @Test
    void theAnswerKeyMarksKeysAndShowsAnswers() throws Exception {
        try (PDDocument doc = Loader.loadPDF(pdf.render("Chemistry — midterm", SampleExam.chemistry(), true))) {
            String text = new PDFTextStripper().getText(doc);
            assertThat(text).contains("Answer key", "✓ B) CO₂", "✓ A) Neon", "✓ B) Argon", "✓ B) False",
                    "Answer: 1 ± 0.01", "Accepted: Sodium; Natrium",
                    "Model answer: It absorbs infrared radiation & re-emits it.",
                    "Source: “carbon dioxide absorbs infrared radiation”");
        }
    }

    @Test
    void longExamsBreakPagesAndMissingGlyphsDoNotFail() throws Exception {
        List<dev.lectern.courses.exams.Question> many = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            many.addAll(SampleExam.chemistry());
        }
        many.add(SampleExam.q("z", dev.lectern.courses.exams.QuestionType.ESSAY, "", "Klingon \uF8E0 and emoji 🦉 "
                + "x".repeat(300), List.of(), null, null, "", "", 1));
        try (PDDocument doc = Loader.loadPDF(pdf.render("Long", many, false))) {
            assertThat(doc.getNumberOfPages()).isGreaterThan(3);
            assertThat(new PDFTextStripper().getText(doc)).contains("Klingon ? and emoji ?");
        }
    }

    private static List<PDFont> fonts(PDDocument doc) throws Exception {
        List<PDFont> out = new ArrayList<>();
        for (PDPage page : doc.getPages()) {
            for (COSName name : page.getResources().getFontNames()) {
                out.add(page.getResources().getFont(name));
            }
        }
        return out;
    }
}
