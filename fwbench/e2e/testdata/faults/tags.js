// Tags at send() time: a session connected outside any group and before a
// VU tag was set; its turns must carry the group and tags current when send() is called, as k6/http
// requests do.
import fw from 'k6/x/featherweight';
import { group } from 'k6';
import exec from 'k6/execution';

export const options = { iterations: 1, vus: 1 };

export default function () {
  const s = fw.connect(__ENV.FW_URL);
  group('later', () => {
    s.send('in-group', { tags: { turn: 'g' } });
  });
  exec.vu.metrics.tags.phase = 'two';
  s.send('after-tag', { tags: { turn: 't' } });
  s.close();
}
