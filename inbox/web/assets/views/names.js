// The name shown for a client. A website visitor who gave no name has a
// visitor number (visitorNumber), shown as "Visitor 1234" in the agent's
// language; contacts stored before that carry "Visitor 1234" as their
// name, and are shown the same way.
import { t } from '../i18n.js';

const LEGACY = /^Visitor (\d{1,9})$/;

// contactLabel names the client of a conversation (contactName) or a
// contact (name); fallback is used when there is neither name nor number.
export function contactLabel(x, fallback) {
  if (!x) return fallback || t('conv.client');
  const name = ('contactName' in x ? x.contactName : x.name) || '';
  const legacy = name.match(LEGACY);
  if (legacy) return t('visitor.name', { n: legacy[1] });
  if (name) return name;
  if (x.visitorNumber) return t('visitor.name', { n: x.visitorNumber });
  if (fallback) return fallback;
  return x.number ? t('conv.number', { n: x.number }) : t('conv.client');
}
