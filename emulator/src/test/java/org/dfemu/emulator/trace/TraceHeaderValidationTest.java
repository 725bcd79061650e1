package org.dfemu.emulator.trace;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a file can fail to be a trace gives a {@link TraceFormatException} naming the problem. */
class TraceHeaderValidationTest {
    @TempDir
    Path dir;

    private Path good;
    private byte[] bytes;

    @BeforeEach
    void writeGoodTrace() throws IOException {
        good = dir.resolve("good.dftrace");
        try (TraceWriter w = TraceWriter.open(good, SampleRecords.NAMES)) {
            SampleRecords.write(w, 1, 10);
        }
        bytes = Files.readAllBytes(good);
    }

    @Test
    void wrongMagic() throws IOException {
        bytes[0] = 'X';
        assertRejected("bad.dftrace: not a dfemu trace: magic is 58 46 45 4d 55 54 52 43,"
                + " expected 44 46 45 4d 55 54 52 43 (\"DFEMUTRC\")");
    }

    @Test
    void otherVersion() throws IOException {
        bytes[TraceFormat.OFF_VERSION] = 2;
        assertRejected("bad.dftrace: trace format version 2 is not supported (this dfemu reads version 1)");
    }

    @Test
    void recordSizeMismatch() throws IOException {
        bytes[TraceFormat.OFF_RECORD_BYTES] = 64;
        assertRejected("bad.dftrace: record size mismatch: the header says 64 bytes, format version 1 has 48");
    }

    @Test
    void truncatedFixedHeader() throws IOException {
        bytes = Arrays.copyOf(bytes, 30);
        assertRejected("bad.dftrace: truncated header: the file is 30 bytes, a trace header has at least 48");
    }

    @Test
    void headerCutInsideTheNameTable() throws IOException {
        bytes = Arrays.copyOf(bytes, 200);
        long header = TraceFormat.headerBytes(SampleRecords.NAMES.size(), TraceRoundTripTest.namesBytes(SampleRecords.NAMES));
        assertRejected("bad.dftrace: truncated header: the header is " + header + " bytes, the file has only 200");
    }

    @Test
    void emptyFile() throws IOException {
        bytes = new byte[0];
        assertRejected("bad.dftrace: truncated header: the file is 0 bytes, a trace header has at least 48");
    }

    @Test
    void corruptNameIsCaughtByTheChecksum() throws IOException {
        int firstName = TraceFormat.FIXED_HEADER_BYTES + 8 + 1; // after the bitmap and the length byte of "none"
        assertEquals('n', bytes[firstName]);
        bytes[firstName] = 'm';
        TraceFormatException e = reject();
        assertTrue(e.getMessage().startsWith("bad.dftrace: corrupt header: checksum is 0x"), e.getMessage());
    }

    @Test
    void headerSizeThatDoesNotMatchTheNameTable() throws IOException {
        bytes[TraceFormat.OFF_NAMES_BYTES] += 64;
        TraceFormatException e = reject();
        assertTrue(e.getMessage().startsWith("bad.dftrace: corrupt header: header size "), e.getMessage());
    }

    @Test
    void aFileThatIsNotATraceAtAll() throws IOException {
        bytes = "#!/bin/sh\necho this is a shell script, not a trace\n".getBytes();
        TraceFormatException e = reject();
        assertTrue(e.getMessage().startsWith("bad.dftrace: not a dfemu trace: magic is 23 21 2f 62"), e.getMessage());
    }

    @Test
    void goodFileIsAccepted() throws IOException {
        try (TraceReader r = TraceReader.open(good)) {
            assertEquals(10, r.recordCount());
        }
    }

    private void assertRejected(String message) throws IOException {
        assertEquals(message, reject().getMessage());
    }

    private TraceFormatException reject() throws IOException {
        Path bad = dir.resolve("bad.dftrace");
        Files.write(bad, bytes);
        return assertThrows(TraceFormatException.class, () -> TraceReader.open(bad).close());
    }
}
