package dev.lectern.courses.exams.export;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/** A StAX writer that indents by two spaces: elements with children on their own lines, leaves on one line. */
final class XmlOut implements AutoCloseable {
    private static final XMLOutputFactory FACTORY = XMLOutputFactory.newFactory();
    private final XMLStreamWriter w;
    private final Deque<Boolean> hasChildren = new ArrayDeque<>();

    XmlOut(OutputStream out) {
        try {
            this.w = FACTORY.createXMLStreamWriter(out, "UTF-8");
            w.writeStartDocument("UTF-8", "1.0");
        } catch (XMLStreamException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Opens an element; attributes as name, value pairs (a null value is left out). */
    XmlOut start(String name, String... attributes) {
        try {
            indent();
            w.writeStartElement(name);
            attributes(attributes);
            hasChildren.push(false);
        } catch (XMLStreamException e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    XmlOut end() {
        try {
            boolean children = hasChildren.pop();
            if (children) {
                w.writeCharacters("\n" + "  ".repeat(hasChildren.size()));
            }
            w.writeEndElement();
        } catch (XMLStreamException e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    /** {@code <name attrs>text</name>} on one line. */
    XmlOut leaf(String name, String text, String... attributes) {
        try {
            indent();
            w.writeStartElement(name);
            attributes(attributes);
            w.writeCharacters(text);
            w.writeEndElement();
        } catch (XMLStreamException e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    XmlOut empty(String name, String... attributes) {
        try {
            indent();
            w.writeEmptyElement(name);
            attributes(attributes);
        } catch (XMLStreamException e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    private void attributes(String... attributes) throws XMLStreamException {
        for (int i = 0; i + 1 < attributes.length; i += 2) {
            if (attributes[i + 1] != null) {
                w.writeAttribute(attributes[i], attributes[i + 1]);
            }
        }
    }

    private void indent() throws XMLStreamException {
        if (!hasChildren.isEmpty()) {
            hasChildren.pop();
            hasChildren.push(true);
        }
        w.writeCharacters("\n" + "  ".repeat(hasChildren.size()));
    }

    @Override
    public void close() {
        try {
            w.writeCharacters("\n");
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
