package org.dfemu.tools;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Version line for {@code dfemu --version}, from the build's filtered properties. */
public final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/dfemu-version.properties")) {
            if (in != null) p.load(in);
        }
        return new String[] {
            "dfemu " + p.getProperty("version", "unknown"),
            "DragonFly BSD port base: 737b020b54 (2021-05-28)",
            "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}
