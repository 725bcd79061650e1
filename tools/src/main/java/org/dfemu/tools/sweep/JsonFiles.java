package org.dfemu.tools.sweep;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The files sweep and explore write with {@code --json} and read with {@code --merge}: gzipped
 * when the name ends in {@code .gz} (a 200-seed sweep's JSON is megabytes of repeated keys; gzip
 * keeps a thirtieth), and read gzipped or not by the gzip magic, whatever the name.
 */
public final class JsonFiles {
    private JsonFiles() {}

    /** An output stream to {@code file}, gzipping if its name ends in ".gz". */
    public static OutputStream create(Path file) throws IOException {
        OutputStream out = Files.newOutputStream(file);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPOutputStream(out) : out;
    }

    /** An input stream of {@code file}'s JSON, gunzipped if the file starts with the gzip magic. */
    public static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file));
        in.mark(2);
        boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
        in.reset();
        return gzip ? new GZIPInputStream(in) : in;
    }
}
