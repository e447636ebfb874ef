package dev.lectern.courses.exams.export;

import static dev.lectern.courses.exams.export.SampleExam.o;
import static dev.lectern.courses.exams.export.SampleExam.q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.courses.exams.QuestionType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * QTI 2.1 packages: items shaped as the implementation guide's "Unattended Luggage" choice example (the golden item is
 * that example's question without its picture, with shuffle="true" because Lectern leaves the shuffle to the
 * delivery system), a manifest whose resources name every file, and the whole sample exam against golden files.
 */
class QtiPackageTest {
    @Test
    void theChoiceExampleAsAnItem() throws IOException {
        byte[] item = QtiPackage.item("choice", q("x", QuestionType.SINGLE_CHOICE, "Unattended Luggage",
                "What does it say?", List.of(o("ChoiceA", "You must stay with your luggage at all times.", true, ""),
                        o("ChoiceB", "Do not let someone else look after your luggage.", false, ""),
                        o("ChoiceC", "Remember your luggage when you leave.", false, "")), null, null, "", "", 1), 1);
        assertThat(new String(item, StandardCharsets.UTF_8)).isEqualTo(GiftWriterTest.golden("qti-choice.xml"));
    }

    @Test
    void thePackageHoldsTheManifestTestAndItemsAndEveryHrefResolves() throws Exception {
        Map<String, byte[]> files = unzip(QtiPackage.zip("exam-1", "Chemistry — midterm", SampleExam.chemistry()));
        assertThat(files.keySet()).containsExactly("imsmanifest.xml", "assessmentTest.xml", "items/item-1.xml",
                "items/item-2.xml", "items/item-3.xml", "items/item-4.xml", "items/item-5.xml", "items/item-6.xml");
        Document manifest = parse(files.get("imsmanifest.xml"));
        assertThat(manifest.getDocumentElement().getNamespaceURI()).isEqualTo(QtiPackage.CP_NS);
        NodeList fileRefs = manifest.getElementsByTagNameNS(QtiPackage.CP_NS, "file");
        for (int i = 0; i < fileRefs.getLength(); i++) {
            assertThat(files).containsKey(((Element) fileRefs.item(i)).getAttribute("href"));
        }
        for (int i = 1; i <= 6; i++) {
            Document item = parse(files.get("items/item-" + i + ".xml"));
            assertThat(item.getDocumentElement().getNamespaceURI()).isEqualTo(QtiPackage.QTI_NS);
            assertThat(item.getDocumentElement().getAttribute("identifier")).isEqualTo("item-" + i);
            assertThat(new String(files.get("items/item-" + i + ".xml"), StandardCharsets.UTF_8))
                    .isEqualTo(GiftWriterTest.golden("qti/items/item-" + i + ".xml"));
        }
        assertThat(new String(files.get("imsmanifest.xml"), StandardCharsets.UTF_8))
                .isEqualTo(GiftWriterTest.golden("qti/imsmanifest.xml"));
        assertThat(new String(files.get("assessmentTest.xml"), StandardCharsets.UTF_8))
                .isEqualTo(GiftWriterTest.golden("qti/assessmentTest.xml"));
        Element multiple = (Element) parse(files.get("items/item-2.xml"))
                .getElementsByTagNameNS(QtiPackage.QTI_NS, "responseDeclaration").item(0);
        assertThat(multiple.getAttribute("cardinality")).isEqualTo("multiple");
        assertThat(multiple.getElementsByTagNameNS(QtiPackage.QTI_NS, "value").getLength()).isEqualTo(2);
    }

    static Document parse(byte[] xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
    }

    static Map<String, byte[]> unzip(byte[] zip) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.put(e.getName(), in.readAllBytes());
            }
        }
        return out;
    }
}
