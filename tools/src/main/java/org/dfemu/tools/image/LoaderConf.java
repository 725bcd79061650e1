package org.dfemu.tools.image;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dfemu.emulator.api.TunableException;

/**
 * The boot partition's text: loader.conf-style lines {@code name="value"}, one setting a line,
 * in US-ASCII. Blank lines and lines starting with {@code #} are skipped; anything else that is
 * not exactly {@code name="value"} is refused, as are unknown settings, invalid values and a
 * setting given twice.
 */
public final class LoaderConf {
    private LoaderConf() {}

    private static final Pattern LINE = Pattern.compile("([a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)+)=\"([^\"]*)\"");

    /**
     * Writes {@code settings} one per line, in map order, each line ending in a newline.
     * The caller has checked the settings against {@link BootSettings}. No requirements.
     */
    public static byte[] format(Map<String, String> settings) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            sb.append(e.getKey()).append("=\"").append(e.getValue()).append("\"\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads boot-partition text into an ordered map (file order), checking every setting
     * against {@link BootSettings}.
     *
     * @throws ImageFormatException "boot partition line N: problem" for the first bad line, or
     *         "boot partition is not ASCII text". No requirements.
     */
    public static Map<String, String> parse(byte[] content) throws ImageFormatException {
        String text;
        try {
            text = StandardCharsets.US_ASCII.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content)).toString();
        } catch (CharacterCodingException e) {
            throw new ImageFormatException("boot partition is not ASCII text");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String where = "boot partition line " + (i + 1) + ": ";
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new ImageFormatException(where + "expected name=\"value\", found '" + line + "'");
            }
            try {
                BootSettings.check(m.group(1), m.group(2));
            } catch (TunableException e) {
                throw new ImageFormatException(where + e.getMessage());
            }
            if (settings.putIfAbsent(m.group(1), m.group(2)) != null) {
                throw new ImageFormatException(where + m.group(1) + " is set twice");
            }
        }
        return settings;
    }
}
