/**
 * Finds secret-looking literals in text: client secrets, storage keys, SAS tokens, private keys, JWTs, passwords, and
 * any GUID that is not a known public id (see publicIds.ts). Used by secrets.test.ts on every file of infra/.
 */
import { PUBLIC_ID_ALLOWLIST } from './publicIds';

export interface Finding {
  rule: string;
  line: number;
  match: string;
}

interface Rule {
  name: string;
  pattern: RegExp;
}

const RULES: readonly Rule[] = [
  // Microsoft Entra client secrets: 3 characters, a digit, "Q~", then 31-34 characters.
  { name: 'Entra client secret', pattern: /[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}/ },
  // Older and hand-made secrets: a long token with a "~" in it (including a GUID followed by "~...").
  { name: 'secret with "~"', pattern: /[A-Za-z0-9_.-]{4,}~[A-Za-z0-9_.~-]{16,}/ },
  { name: 'storage account key', pattern: /AccountKey\s*=/i },
  {
    name: 'shared access signature',
    pattern: /SharedAccessSignature|SharedAccessKey\s*=|[?&]sig=[A-Za-z0-9%+/=]{10,}/i,
  },
  { name: 'connection string with a key', pattern: /DefaultEndpointsProtocol\s*=|InstrumentationKey\s*=\s*[0-9a-f]/i },
  { name: 'private key or certificate', pattern: /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----|-----BEGIN/ },
  { name: 'JSON web token', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./ },
  {
    name: 'password or secret assignment',
    pattern:
      /\b(password|passwd|pwd|secret|client_?secret|api_?key|access_?key|account_?key)\b['"]?\s*[:=]\s*['"][^'"\s$<{][^'"\s]{3,}['"]/i,
  },
  { name: 'key listing in a template', pattern: /\blist(Keys|ConnectionStrings|AccountSas|ServiceSas|Secrets)\s*\(/ },
];

const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const ALLOWED_GUIDS = new Set(PUBLIC_ID_ALLOWLIST.map((p) => p.id.toLowerCase()));

export function findSecretLiterals(text: string): Finding[] {
  const findings: Finding[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    for (const rule of RULES) {
      const m = rule.pattern.exec(line);
      if (m) findings.push({ rule: rule.name, line: index + 1, match: m[0] });
    }
    for (const m of line.matchAll(GUID)) {
      if (!ALLOWED_GUIDS.has(m[0].toLowerCase())) {
        findings.push({ rule: 'GUID that is not a known public id', line: index + 1, match: m[0] });
      }
    }
  });
  return findings;
}
