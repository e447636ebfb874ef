package dev.lectern.http.chat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads a chat stream's events the way a browser's EventSource parser would: id and data lines, blank line ends. */
final class SseEvents {
    /** Like the server's mapper, but for test answers larger than its 16 MB string limit. */
    private static final com.fasterxml.jackson.databind.ObjectMapper LARGE = new com.fasterxml.jackson.databind.ObjectMapper(
            com.fasterxml.jackson.core.JsonFactory.builder().streamReadConstraints(
                    com.fasterxml.jackson.core.StreamReadConstraints.builder().maxStringLength(256 * 1024 * 1024).build())
                    .build());

    record Event(long id, JsonNode data) {
        String status() {
            return data.get("status").asText();
        }
    }

    final List<Event> events = new ArrayList<>();
    int comments;

    /** Reads until a terminal event (complete, error, interrupted) or the end of the stream. */
    static SseEvents read(InputStream in) throws IOException {
        SseEvents out = new SseEvents();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        long id = -1;
        StringBuilder data = new StringBuilder();
        String line;
        while ((line = r.readLine()) != null) {
            if (line.isEmpty()) {
                if (data.length() > 0) {
                    Event e = new Event(id, LARGE.readTree(data.toString()));
                    out.events.add(e);
                    data.setLength(0);
                    if (e.status().equals("complete") || e.status().equals("error")
                            || e.status().equals("interrupted")) {
                        return out;
                    }
                }
            } else if (line.startsWith(":")) {
                out.comments++;
            } else if (line.startsWith("id: ")) {
                id = Long.parseLong(line.substring(4));
            } else if (line.startsWith("data: ")) {
                data.append(line.substring(6));
            }
        }
        return out;
    }

    Event last() {
        return events.get(events.size() - 1);
    }

    String chunks() {
        StringBuilder sb = new StringBuilder();
        for (Event e : events) {
            if (e.status().equals("streaming")) {
                sb.append(e.data().get("chunk").asText());
            }
        }
        return sb.toString();
    }

    List<String> statuses() {
        List<String> s = new ArrayList<>();
        for (Event e : events) {
            s.add(e.status());
        }
        return s;
    }
}
