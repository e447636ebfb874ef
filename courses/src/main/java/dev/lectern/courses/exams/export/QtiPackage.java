package dev.lectern.courses.exams.export;

import dev.lectern.courses.exams.Question;
import dev.lectern.courses.exams.QuestionContent;
import dev.lectern.courses.exams.QuestionContent.Option;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * An IMS QTI 2.1 content package: {@code imsmanifest.xml}, one {@code assessmentTest} and one {@code assessmentItem}
 * per question, as the QTI 2.1 implementation guide's examples write them (choice: {@code choiceInteraction} with the
 * {@code match_correct} template; multiple select: cardinality multiple, {@code maxChoices="0"}; numeric: a
 * {@code textEntryInteraction} scored by {@code equal} with an absolute tolerance; short answer: a {@code mapping} of
 * accepted answers with {@code map_response}; essay: {@code extendedTextInteraction}, scored by hand).
 */
public final class QtiPackage {
    public static final String QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1";
    public static final String CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1";
    private static final String XSI = "http://www.w3.org/2001/XMLSchema-instance";
    private static final String QTI_XSD = QTI_NS + " http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd";
    private static final String TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/";

    private QtiPackage() {}

    /** The zip: manifest first, then the test, then the items ({@code items/item-N.xml}). */
    public static byte[] zip(String packageId, String title, List<Question> questions) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            put(zip, "imsmanifest.xml", manifest(packageId, title, questions.size()));
            put(zip, "assessmentTest.xml", test(title, questions.size()));
            for (int i = 0; i < questions.size(); i++) {
                put(zip, "items/item-" + (i + 1) + ".xml", item("item-" + (i + 1), questions.get(i), i + 1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void put(ZipOutputStream zip, String name, byte[] content) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setTime(0); // the same exam gives the same bytes
        zip.putNextEntry(e);
        zip.write(content);
        zip.closeEntry();
    }

    public static byte[] manifest(String packageId, String title, int items) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (XmlOut x = new XmlOut(out)) {
            x.start("manifest", "xmlns", CP_NS, "xmlns:xsi", XSI, "xsi:schemaLocation", CP_NS
                    + " http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd", "identifier",
                    "MANIFEST-" + packageId);
            x.start("metadata").leaf("schema", "QTIv2.1 Package").leaf("schemaversion", "1.0.0").end();
            x.empty("organizations");
            x.start("resources");
            x.start("resource", "identifier", "test", "type", "imsqti_test_xmlv2p1", "href", "assessmentTest.xml");
            x.empty("file", "href", "assessmentTest.xml");
            for (int i = 1; i <= items; i++) {
                x.empty("dependency", "identifierref", "item-" + i);
            }
            x.end();
            for (int i = 1; i <= items; i++) {
                x.start("resource", "identifier", "item-" + i, "type", "imsqti_item_xmlv2p1", "href",
                        "items/item-" + i + ".xml");
                x.empty("file", "href", "items/item-" + i + ".xml");
                x.end();
            }
            x.end().end();
        }
        return out.toByteArray();
    }

    public static byte[] test(String title, int items) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (XmlOut x = new XmlOut(out)) {
            x.start("assessmentTest", "xmlns", QTI_NS, "xmlns:xsi", XSI, "xsi:schemaLocation", QTI_NS
                    + " http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd", "identifier", "test", "title", title);
            x.start("testPart", "identifier", "part-1", "navigationMode", "nonlinear", "submissionMode",
                    "simultaneous");
            x.start("assessmentSection", "identifier", "section-1", "title", title, "visible", "true");
            for (int i = 1; i <= items; i++) {
                x.empty("assessmentItemRef", "identifier", "item-" + i, "href", "items/item-" + i + ".xml");
            }
            x.end().end().end();
        }
        return out.toByteArray();
    }

    /** One {@code assessmentItem}. */
    public static byte[] item(String identifier, Question q, int number) {
        QuestionContent c = q.content();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (XmlOut x = new XmlOut(out)) {
            x.start("assessmentItem", "xmlns", QTI_NS, "xmlns:xsi", XSI, "xsi:schemaLocation", QTI_XSD, "identifier",
                    identifier, "title", c.name().isEmpty() ? "Q" + number : c.name(), "adaptive", "false",
                    "timeDependent", "false");
            switch (c.type()) {
                case SINGLE_CHOICE, TRUE_FALSE, MULTIPLE_SELECT -> choice(x, c);
                case NUMERIC -> numeric(x, c);
                case SHORT_ANSWER -> shortAnswer(x, c);
                case ESSAY -> essay(x, c);
            }
            x.end();
        }
        return out.toByteArray();
    }

    private static void choice(XmlOut x, QuestionContent c) {
        boolean multiple = c.type() == dev.lectern.courses.exams.QuestionType.MULTIPLE_SELECT;
        x.start("responseDeclaration", "identifier", "RESPONSE", "cardinality", multiple ? "multiple" : "single",
                "baseType", "identifier");
        x.start("correctResponse");
        for (Option o : c.keys()) {
            x.leaf("value", choiceId(o));
        }
        x.end().end();
        score(x);
        x.start("itemBody");
        x.start("choiceInteraction", "responseIdentifier", "RESPONSE", "shuffle",
                c.type() == dev.lectern.courses.exams.QuestionType.TRUE_FALSE ? "false" : "true", "maxChoices",
                multiple ? "0" : "1");
        x.leaf("prompt", c.stem());
        for (Option o : c.options()) {
            x.leaf("simpleChoice", o.text(), "identifier", choiceId(o));
        }
        x.end().end();
        x.empty("responseProcessing", "template", TEMPLATES + "match_correct");
    }

    private static void numeric(XmlOut x, QuestionContent c) {
        x.start("responseDeclaration", "identifier", "RESPONSE", "cardinality", "single", "baseType", "float");
        x.start("correctResponse").leaf("value", ExportNumbers.format(c.numericAnswer())).end().end();
        score(x);
        x.start("itemBody").leaf("p", c.stem()).start("p").empty("textEntryInteraction", "responseIdentifier",
                "RESPONSE").end().end();
        String t = ExportNumbers.format(c.tolerance());
        x.start("responseProcessing").start("responseCondition").start("responseIf");
        x.start("equal", "toleranceMode", "absolute", "tolerance", t + " " + t);
        x.empty("variable", "identifier", "RESPONSE").empty("correct", "identifier", "RESPONSE").end();
        x.start("setOutcomeValue", "identifier", "SCORE").leaf("baseValue", "1", "baseType", "float").end();
        x.end().start("responseElse");
        x.start("setOutcomeValue", "identifier", "SCORE").leaf("baseValue", "0", "baseType", "float").end();
        x.end().end().end();
    }

    private static void shortAnswer(XmlOut x, QuestionContent c) {
        x.start("responseDeclaration", "identifier", "RESPONSE", "cardinality", "single", "baseType", "string");
        List<Option> keys = new ArrayList<>(c.keys());
        if (!keys.isEmpty()) {
            x.start("correctResponse").leaf("value", keys.get(0).text()).end();
            x.start("mapping", "defaultValue", "0");
            for (Option o : keys) {
                x.empty("mapEntry", "mapKey", o.text(), "mappedValue", "1", "caseSensitive", "false");
            }
            x.end();
        }
        x.end();
        score(x);
        x.start("itemBody").leaf("p", c.stem()).start("p").empty("textEntryInteraction", "responseIdentifier",
                "RESPONSE", "expectedLength", "40").end().end();
        if (!keys.isEmpty()) {
            x.empty("responseProcessing", "template", TEMPLATES + "map_response");
        }
    }

    private static void essay(XmlOut x, QuestionContent c) {
        x.empty("responseDeclaration", "identifier", "RESPONSE", "cardinality", "single", "baseType", "string");
        score(x);
        x.start("itemBody").start("extendedTextInteraction", "responseIdentifier", "RESPONSE")
                .leaf("prompt", c.stem()).end().end();
    }

    private static void score(XmlOut x) {
        x.start("outcomeDeclaration", "identifier", "SCORE", "cardinality", "single", "baseType", "float");
        x.start("defaultValue").leaf("value", "0").end().end();
    }

    /** QTI identifiers are NCNames: an option id that is not one gets a prefix. */
    static String choiceId(Option o) {
        return o.id().matches("[A-Za-z_][A-Za-z0-9_.-]*") ? o.id() : "choice-" + o.id();
    }
}
