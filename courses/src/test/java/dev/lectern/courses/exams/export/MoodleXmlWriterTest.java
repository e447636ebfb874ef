package dev.lectern.courses.exams.export;

import static dev.lectern.courses.exams.export.SampleExam.o;
import static dev.lectern.courses.exams.export.SampleExam.q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.courses.exams.QuestionType;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamWriter;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

/** Moodle XML against Moodle's vectors (question/format/xml/tests/xmlformat_test.php @00e93a9). */
class MoodleXmlWriterTest {
    @Test
    void exactTrueFalse() {
        String expected = "<!-- question: 12  -->\n"
                + "  <question type=\"truefalse\">\n"
                + "    <name>\n"
                + "      <text>True false question</text>\n"
                + "    </name>\n"
                + "    <questiontext format=\"html\">\n"
                + "      <text>The answer is true.</text>\n"
                + "    </questiontext>\n"
                + "    <generalfeedback format=\"html\">\n"
                + "      <text>General feedback: You should have chosen true.</text>\n"
                + "    </generalfeedback>\n"
                + "    <defaultgrade>1</defaultgrade>\n"
                + "    <penalty>1</penalty>\n"
                + "    <hidden>0</hidden>\n"
                + "    <idnumber></idnumber>\n"
                + "    <answer fraction=\"100\" format=\"plain_text\">\n"
                + "      <text>true</text>\n"
                + "      <feedback format=\"html\">\n"
                + "        <text>Well done!</text>\n"
                + "      </feedback>\n"
                + "    </answer>\n"
                + "    <answer fraction=\"0\" format=\"plain_text\">\n"
                + "      <text>false</text>\n"
                + "      <feedback format=\"html\">\n"
                + "        <text>Doh!</text>\n"
                + "      </feedback>\n"
                + "    </answer>\n"
                + "  </question>\n";
        assertThat(MoodleXmlWriter.question(q("12", QuestionType.TRUE_FALSE, "True false question",
                "The answer is true.", List.of(o("true", "True", true, "Well done!"), o("false", "False", false, "Doh!")),
                null, null, "", "General feedback: You should have chosen true.", 1), 1)).isEqualTo(expected);
    }

    @Test
    void adaptedShortAnswerWithoutHints() {
        // Moodle's vector ends with two <hint> elements, which Lectern's questions do not have
        String expected = "<!-- question: 123  -->\n"
                + "  <question type=\"shortanswer\">\n"
                + "    <name>\n"
                + "      <text>Short answer question</text>\n"
                + "    </name>\n"
                + "    <questiontext format=\"html\">\n"
                + "      <text>Fill in the gap in this sequence: Alpha, ________, Gamma.</text>\n"
                + "    </questiontext>\n"
                + "    <generalfeedback format=\"html\">\n"
                + "      <text>The answer is Beta.</text>\n"
                + "    </generalfeedback>\n"
                + "    <defaultgrade>1</defaultgrade>\n"
                + "    <penalty>0.3333333</penalty>\n"
                + "    <hidden>0</hidden>\n"
                + "    <idnumber></idnumber>\n"
                + "    <usecase>0</usecase>\n"
                + "    <answer fraction=\"100\" format=\"plain_text\">\n"
                + "      <text>Beta</text>\n"
                + "      <feedback format=\"html\">\n"
                + "        <text>Well done!</text>\n"
                + "      </feedback>\n"
                + "    </answer>\n"
                + "    <answer fraction=\"0\" format=\"plain_text\">\n"
                + "      <text>*</text>\n"
                + "      <feedback format=\"html\">\n"
                + "        <text>Doh!</text>\n"
                + "      </feedback>\n"
                + "    </answer>\n"
                + "  </question>\n";
        assertThat(MoodleXmlWriter.question(q("123", QuestionType.SHORT_ANSWER, "Short answer question",
                "Fill in the gap in this sequence: Alpha, ________, Gamma.", List.of(o("a", "Beta", true, "Well done!"),
                        o("b", "*", false, "Doh!")), null, null, "", "The answer is Beta.", 1), 1)).isEqualTo(expected);
    }

    @Test
    void xmlEscapeVectors() throws Exception {
        assertThat(escaped("Nothing funny here. Even if we go to a café or to 日本."))
                .isEqualTo("Nothing funny here. Even if we go to a café or to 日本.");
        assertThat(escaped("<p>Nothing <b>funny<b> here. Even if we go to a café or to 日本.</p>"))
                .isEqualTo("<![CDATA[<p>Nothing <b>funny<b> here. Even if we go to a café or to 日本.</p>]]>");
        assertThat(escaped("<script><![CDATA[alert(1<2);]]></script>"))
                .isEqualTo("<![CDATA[<script><![CDATA[alert(1<2);]]]]><![CDATA[></script>]]>");
        assertThat(escaped("if (x[[0]]>a) print('hah');"))
                .isEqualTo("<![CDATA[if (x[[0]]]]><![CDATA[>a) print('hah');]]>");
    }

    private static String escaped(String text) throws Exception {
        StringWriter out = new StringWriter();
        XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
        MoodleXmlWriter.escape(w, text);
        w.flush();
        return out.toString();
    }

    @Test
    void theSampleExamMatchesItsGoldenFileAndParses() throws Exception {
        String xml = MoodleXmlWriter.write(SampleExam.chemistry());
        assertThat(xml).isEqualTo(GiftWriterTest.golden("chemistry.moodle.xml"));
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new InputSource(new StringReader(xml)));
        assertThat(doc.getElementsByTagName("question").getLength()).isEqualTo(6);
        assertThat(doc.getElementsByTagName("graderinfo").item(0).getTextContent().strip())
                .isEqualTo("It absorbs infrared radiation & re-emits it.");
    }
}
