package dev.lectern.courses.exams.export;

import dev.lectern.courses.exams.Question;
import dev.lectern.courses.exams.QuestionContent;
import dev.lectern.courses.exams.QuestionContent.Option;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Pattern;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Moodle XML ({@code <quiz>} of {@code <question>}s), laid out as Moodle's {@code qformat_xml::writequestion} lays it
 * out: a {@code <!-- question: id  -->} comment, two-space indentation, text containing {@code < > &} in CDATA (with
 * {@code ]]>} split across sections), question text and feedback as {@code html}, answers as {@code plain_text}.
 * Written with the JDK's StAX writer.
 */
public final class MoodleXmlWriter {
    private static final Pattern NEEDS_CDATA = Pattern.compile("[<>&]");
    private static final XMLOutputFactory FACTORY = XMLOutputFactory.newFactory();

    private MoodleXmlWriter() {}

    /** A whole file: the XML declaration, {@code <quiz>}, the questions. */
    public static String write(List<Question> questions) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n");
        for (int i = 0; i < questions.size(); i++) {
            b.append(question(questions.get(i), i + 1)).append('\n');
        }
        return b.append("</quiz>\n").toString();
    }

    /** One question, exactly as Moodle's exporter writes it. */
    public static String question(Question q, int number) {
        QuestionContent c = q.content();
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter w = FACTORY.createXMLStreamWriter(out);
            w.writeComment(" question: " + q.id() + "  ");
            nl(w, 1);
            w.writeStartElement("question");
            w.writeAttribute("type", moodleType(c));
            nl(w, 2);
            w.writeStartElement("name");
            textElement(w, 3, c.name().isEmpty() ? "Q" + number : c.name());
            nl(w, 2);
            w.writeEndElement();
            formatted(w, 2, "questiontext", "html", c.stem());
            formatted(w, 2, "generalfeedback", "html", c.explanation());
            simple(w, 2, "defaultgrade", ExportNumbers.format(c.points()));
            simple(w, 2, "penalty", c.type() == dev.lectern.courses.exams.QuestionType.TRUE_FALSE ? "1"
                    : "0.3333333");
            simple(w, 2, "hidden", "0");
            simple(w, 2, "idnumber", "");
            switch (c.type()) {
                case SINGLE_CHOICE, MULTIPLE_SELECT -> {
                    boolean single = c.type() == dev.lectern.courses.exams.QuestionType.SINGLE_CHOICE;
                    simple(w, 2, "single", single ? "true" : "false");
                    simple(w, 2, "shuffleanswers", "true");
                    simple(w, 2, "answernumbering", "abc");
                    formatted(w, 2, "correctfeedback", "html", "");
                    formatted(w, 2, "partiallycorrectfeedback", "html", "");
                    formatted(w, 2, "incorrectfeedback", "html", "");
                    long keys = c.keys().size();
                    long wrong = c.options().size() - keys;
                    for (Option o : c.options()) {
                        double fraction = single ? (o.correct() ? 1 : 0) : o.correct() ? 1.0 / keys : -1.0 / wrong;
                        answer(w, fraction, o.text(), o.feedback(), null);
                    }
                }
                case TRUE_FALSE -> {
                    for (String id : List.of("true", "false")) {
                        Option o = c.options().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
                        answer(w, o.correct() ? 1 : 0, id, o.feedback(), null);
                    }
                }
                case NUMERIC -> answer(w, 1, ExportNumbers.format(c.numericAnswer()), "",
                        ExportNumbers.format(c.tolerance()));
                case SHORT_ANSWER -> {
                    simple(w, 2, "usecase", "0");
                    for (Option o : c.options()) {
                        answer(w, o.correct() ? 1 : 0, o.text(), o.feedback(), null);
                    }
                }
                case ESSAY -> {
                    simple(w, 2, "responseformat", "editor");
                    simple(w, 2, "responserequired", "1");
                    simple(w, 2, "responsefieldlines", "15");
                    simple(w, 2, "attachments", "0");
                    simple(w, 2, "attachmentsrequired", "0");
                    formatted(w, 2, "graderinfo", "html", c.modelAnswer());
                    formatted(w, 2, "responsetemplate", "html", "");
                }
            }
            nl(w, 1);
            w.writeEndElement();
            w.writeCharacters("\n");
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write Moodle XML", e);
        }
        return out.toString();
    }

    private static String moodleType(QuestionContent c) {
        return switch (c.type()) {
            case SINGLE_CHOICE, MULTIPLE_SELECT -> "multichoice";
            case TRUE_FALSE -> "truefalse";
            case NUMERIC -> "numerical";
            case SHORT_ANSWER -> "shortanswer";
            case ESSAY -> "essay";
        };
    }

    private static void answer(XMLStreamWriter w, double fraction, String text, String feedback, String tolerance)
            throws XMLStreamException {
        nl(w, 2);
        w.writeStartElement("answer");
        w.writeAttribute("fraction", ExportNumbers.percent(fraction));
        w.writeAttribute("format", "plain_text");
        textElement(w, 3, text);
        formatted(w, 3, "feedback", "html", feedback);
        if (tolerance != null) {
            simple(w, 3, "tolerance", tolerance);
        }
        nl(w, 2);
        w.writeEndElement();
    }

    private static void formatted(XMLStreamWriter w, int depth, String element, String format, String text)
            throws XMLStreamException {
        nl(w, depth);
        w.writeStartElement(element);
        w.writeAttribute("format", format);
        textElement(w, depth + 1, text);
        nl(w, depth);
        w.writeEndElement();
    }

    private static void textElement(XMLStreamWriter w, int depth, String text) throws XMLStreamException {
        nl(w, depth);
        w.writeStartElement("text");
        escape(w, text);
        w.writeEndElement();
    }

    private static void simple(XMLStreamWriter w, int depth, String element, String value) throws XMLStreamException {
        nl(w, depth);
        w.writeStartElement(element);
        escape(w, value);
        w.writeEndElement();
    }

    /** Moodle's {@code xml_escape}: plain when nothing needs escaping, else CDATA with {@code ]]>} split. */
    static void escape(XMLStreamWriter w, String text) throws XMLStreamException {
        if (text.isEmpty()) {
            w.writeCharacters("");
        } else if (!NEEDS_CDATA.matcher(text).find()) {
            w.writeCharacters(text);
        } else {
            String[] parts = text.split("]]>", -1);
            for (int i = 0; i < parts.length; i++) {
                String part = (i > 0 ? ">" : "") + parts[i] + (i < parts.length - 1 ? "]]" : "");
                w.writeCData(part);
            }
        }
    }

    private static void nl(XMLStreamWriter w, int depth) throws XMLStreamException {
        w.writeCharacters("\n" + "  ".repeat(depth));
    }
}
