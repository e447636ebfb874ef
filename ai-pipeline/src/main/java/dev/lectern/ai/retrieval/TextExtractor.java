package dev.lectern.ai.retrieval;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.poi.openxml4j.opc.OPCPackage;
import org.apache.poi.openxml4j.opc.PackageAccess;
import org.apache.poi.openxml4j.util.ZipSecureFile;
import org.apache.poi.xwpf.extractor.XWPFWordExtractor;
import org.apache.poi.xwpf.usermodel.XWPFDocument;

/**
 * Takes the text out of a document: PDFBox for PDF (page by page, so passages know their page), POI for DOCX, and
 * plain UTF-8 for text and Markdown. A document that is encrypted, corrupt, a zip bomb or without any text fails with
 * an {@link ExtractionException} naming the reason. Its PDF and DOCX readers have no memory bound inside a page:
 * the server runs them through {@link ExtractionSandbox}, in a child JVM. Blocking.
 */
public final class TextExtractor {
    /**
     * Wall-clock budget for one PDF, checked between pages: a crafted document with a huge number of pages (or pages
     * that are each slow to decode) fails rather than holding a blocking thread indefinitely.
     */
    static final long PDF_BUDGET_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

    /**
     * POI refuses a DOCX part that inflates beyond this: a real document's {@code document.xml} is a few MB, and a
     * part is held whole in memory while parsed.
     */
    static final long MAX_ZIP_ENTRY_BYTES = 32L << 20;

    private final long maxChars;

    /**
     * @param maxChars        text kept from one document at most
     * @param maxInflateRatio a DOCX part inflating more than this many times its compressed size is a zip bomb
     */
    public TextExtractor(long maxChars, double maxInflateRatio) {
        this.maxChars = maxChars;
        // POI's zip-bomb guards are process-wide; set them explicitly rather than trusting the defaults.
        ZipSecureFile.setMinInflateRatio(1.0 / maxInflateRatio);
        ZipSecureFile.setMaxEntrySize(MAX_ZIP_ENTRY_BYTES);
        ZipSecureFile.setMaxTextSize(maxChars);
    }

    public List<PageText> extract(FileKind kind, Path file) throws ExtractionException {
        List<PageText> pages = switch (kind) {
            case PDF -> pdf(file);
            case DOCX -> List.of(new PageText(0, docx(file)));
            case TXT, MD -> List.of(new PageText(0, text(file)));
            default -> throw new ExtractionException("no text to extract from " + kind.extension() + " files");
        };
        if (pages.stream().allMatch(p -> p.text().isBlank())) {
            throw new ExtractionException("no text found in the document (a scan or an empty file?)");
        }
        return pages;
    }

    private List<PageText> pdf(Path file) throws ExtractionException {
        long deadline = System.nanoTime() + PDF_BUDGET_NANOS;
        // streams are cached in a temporary file, not on the heap: a large PDF costs disk, not memory
        try (PDDocument doc = Loader.loadPDF(file.toFile(), IOUtils.createTempFileOnlyStreamCache())) {
            if (doc.isEncrypted() && !doc.getCurrentAccessPermission().canExtractContent()) {
                throw new ExtractionException("the PDF does not permit text extraction");
            }
            List<PageText> pages = new ArrayList<>();
            PDFTextStripper stripper = new PDFTextStripper();
            long total = 0;
            for (int p = 1; p <= doc.getNumberOfPages() && total < maxChars; p++) {
                if (System.nanoTime() - deadline > 0) {
                    throw new ExtractionException("the PDF took too long to read (stopped at page " + p + " of "
                            + doc.getNumberOfPages() + ")");
                }
                stripper.setStartPage(p);
                stripper.setEndPage(p);
                String text = stripper.getText(doc);
                if (total + text.length() > maxChars) {
                    text = text.substring(0, (int) (maxChars - total));
                }
                total += text.length();
                pages.add(new PageText(p, text));
            }
            return pages;
        } catch (InvalidPasswordException e) {
            throw new ExtractionException("the PDF is encrypted with a password");
        } catch (IOException | RuntimeException e) {
            throw new ExtractionException("the PDF is corrupt or unreadable: " + reason(e));
        }
    }

    private String docx(Path file) throws ExtractionException {
        try (OPCPackage pkg = OPCPackage.open(file.toFile(), PackageAccess.READ);
             XWPFDocument doc = new XWPFDocument(pkg);
             XWPFWordExtractor extractor = new XWPFWordExtractor(doc)) {
            String text = extractor.getText();
            return text.length() > maxChars ? text.substring(0, (int) maxChars) : text;
        } catch (Exception e) {
            String reason = reason(e);
            if (reason.toLowerCase(java.util.Locale.ROOT).contains("zip bomb")) {
                throw new ExtractionException("the DOCX looks like a zip bomb (it inflates far beyond its size)");
            }
            throw new ExtractionException("the DOCX is corrupt or unreadable: " + reason);
        }
    }

    private String text(Path file) throws ExtractionException {
        StringBuilder out = new StringBuilder();
        char[] buf = new char[8192];
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int n;
            while ((n = r.read(buf)) > 0 && out.length() < maxChars) {
                out.append(buf, 0, (int) Math.min(n, maxChars - out.length()));
            }
        } catch (IOException e) {
            throw new ExtractionException("the text file is unreadable: " + reason(e));
        }
        return out.toString();
    }

    /** The innermost message, short and on one line: it is shown to the user. */
    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            if (t.getMessage() != null && t.getMessage().toLowerCase(java.util.Locale.ROOT).contains("zip bomb")) {
                break;
            }
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        m = m.replaceAll("\\s+", " ").strip();
        return m.length() > 200 ? m.substring(0, 200) + "…" : m;
    }
}
