/**
 * A ranked action's reasons as a care agent reads them during a call. Next-best-action writes its
 * reasons as the figures it ranked on ("P(accept) 0.123 in context call|medium-risk", "Δ lifetime
 * value 40.10 = churn 0.120 × retention effect 0.3 × CLV 1,113.00"): exact, and what the API and the
 * learner's tests read, but not words a person on a call reads. These say the same in words; the card
 * keeps the figures one click away. A reason of another form is kept as it is.
 */

const CHANNEL_WORDS: Readonly<Record<string, string>> = { call: 'on a call', chat: 'in a chat', store: 'in a store', app: 'in the app', web: 'on the web', retail_partner: 'at a retail partner' };

/** Each reason in words, in the order given; `money` writes an amount as the page does (with the operator's currency). */
export function reasonsInWords(reasons: readonly string[], money: (n: number) => string): string[] {
  const amount = (text: string) => Number(text.replace(/,/g, '').replace('−', '-'));
  const out: string[] = [];
  for (const r of reasons) {
    let m = /^P\(accept\) ([\d.]+) in context ([a-z]+)\|([a-z]+)-risk$/.exec(r);
    if (m) {
      const share = Math.round(Number(m[1]) * 100);
      out.push(`${share < 1 ? 'under 1' : share} in 100 customers ${CHANNEL_WORDS[m[2]] ?? `on ${m[2]}`} with ${m[3]} churn risk say yes to it`);
      continue;
    }
    m = /^Δ lifetime value ([−-]?[\d,.]+) = /.exec(r);
    if (m) {
      const v = amount(m[1]);
      out.push(v > 0 ? `if they say yes, they are likely to stay longer: worth ${money(v)} more over their lifetime` : v < 0 ? `if they say yes, ${money(-v)} less over their lifetime` : 'does not change how long they are likely to stay');
      continue;
    }
    m = /^revenue if accepted ([\d,.]+)$/.exec(r);
    if (m) {
      out.push(`brings in ${money(amount(m[1]))} if they say yes`);
      continue;
    }
    m = /^cost if accepted ([\d,.]+)$/.exec(r);
    if (m) {
      out.push(`costs ${money(amount(m[1]))} if they say yes`);
      continue;
    }
    m = /^cost per presentation ([\d,.]+)$/.exec(r);
    if (m) {
      out.push(`costs ${money(amount(m[1]))} each time it is offered`);
      continue;
    }
    // The ranking's own arithmetic (expected value × the contact's weight = score): the card's header says the value.
    if (/^expected value [−-]?[\d,.]+ × weight /.test(r)) continue;
    if (r.startsWith('baseline: no contact and no cost')) {
      out.push('offer nothing: no cost, best when no offer is expected to be worth more than it costs');
      continue;
    }
    out.push(r);
  }
  return out;
}
