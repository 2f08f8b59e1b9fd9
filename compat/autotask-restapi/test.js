'use strict';
// Drives a live Switchboard through the published npm package @apigrate/autotask-restapi,
// exactly as an application written for Autotask would use it. run.sh starts the server and
// passes SWITCHBOARD_URL and SWITCHBOARD_DATA_DIR; this file only talks to it through the library.
//
// Every step asserts what it got. The run ends with the line `compat: N passed, N failed`
// (`, N skipped` added when a step could not run because an earlier one failed) and exits
// non-zero on any failure. On a failure the library's last HTTP exchanges are printed.

const fs = require('fs');
const path = require('path');
const assert = require('assert/strict');
const { AutotaskRestApi, AutotaskApiError, FilterOperators } = require('@apigrate/autotask-restapi');

const baseUrl = (process.env.SWITCHBOARD_URL || '').replace(/\/+$/, '');
const dataDir = process.env.SWITCHBOARD_DATA_DIR;
if (!baseUrl || !dataDir) {
  console.error('compat: SWITCHBOARD_URL and SWITCHBOARD_DATA_DIR must be set (run.sh sets them)');
  process.exit(2);
}

// ---- a transparent recorder around the global fetch the library calls ----------------------
// It does not change a request or a response; it keeps them so that a failure can show the
// exact exchange, and so that the zone-discovery step can check where requests went.
const exchanges = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init = {}) => {
  const rec = { method: init.method || 'GET', url: String(url), body: init.body, status: null, response: null };
  exchanges.push(rec);
  const res = await realFetch(url, init);
  rec.status = res.status;
  try { rec.response = await res.clone().text(); } catch (e) { rec.response = `<unreadable: ${e.message}>`; }
  return res;
};
function lastExchanges(n) {
  return exchanges.slice(-n).map((x) => {
    const clip = (s) => (s && s.length > 1500 ? s.slice(0, 1500) + '…' : s);
    return `    ${x.method} ${x.url}` +
      (x.body ? `\n      request:  ${clip(x.body)}` : '') +
      `\n      response: HTTP ${x.status} ${clip(x.response)}`;
  }).join('\n');
}

// ---- a tiny step runner --------------------------------------------------------------------
let passed = 0, failed = 0, skipped = 0;
class Skip extends Error {}
function need(value, what) {
  if (value === undefined || value === null) throw new Skip(`needs ${what}, which an earlier step did not provide`);
  return value;
}
async function step(name, fn) {
  const before = exchanges.length;
  try {
    await fn();
    passed++;
    console.log(`ok    ${name}`);
  } catch (err) {
    if (err instanceof Skip) {
      skipped++;
      console.log(`skip  ${name}: ${err.message}`);
      return;
    }
    failed++;
    console.log(`FAIL  ${name}`);
    let msg = err instanceof AutotaskApiError
      ? `AutotaskApiError HTTP ${err.status}: ${err.message}`
      : (err && err.message) || String(err);
    console.log(`      ${msg.split('\n').join('\n      ')}`);
    const n = exchanges.length - before;
    if (n > 0) console.log(`      HTTP exchanges of this step:\n${lastExchanges(Math.min(n, 4))}`);
  }
}
// Expect the call to fail with an AutotaskApiError of the given HTTP status.
async function expectApiError(status, fn) {
  let got;
  try { got = await fn(); } catch (err) {
    if (!(err instanceof AutotaskApiError)) throw err;
    assert.equal(err.status, status, `expected HTTP ${status}, got HTTP ${err.status}: ${err.message}`);
    return err;
  }
  assert.fail(`expected HTTP ${status}, the call succeeded with ${JSON.stringify(got)}`);
}

(async () => {
  const credsFile = path.join(dataDir, 'demo-credentials.json');
  const creds = JSON.parse(fs.readFileSync(credsFile, 'utf8'));
  for (const k of ['username', 'secret', 'integrationCode']) {
    if (!creds[k]) { console.error(`compat: ${credsFile} has no ${k}`); process.exit(2); }
  }

  // The library's only supported way to leave autotask.net: options.base_url, the base it asks
  // zoneInformation on (as `${base_url}v1.0/zoneInformation?user=...`). We give it the
  // lower-case path a real client may use; every later call must go to the zone's own url.
  const discoveryBase = `${baseUrl}/atservicesrest/`;
  const zoneUrl = `${baseUrl}/ATServicesRest/`;
  const api = new AutotaskRestApi(creds.username, creds.secret, creds.integrationCode, { base_url: discoveryBase });

  const stamp = `${Date.now().toString(36)}`;
  const name1 = `Compat ${stamp} Original`;
  const name2 = `Compat ${stamp} Patched`;
  const name3 = `Compat ${stamp} Replaced`;
  let companyId, contactId, ticketId, ticketNumber;
  const otherClientExchanges = new Set(); // those of the unknown-user client

  await step('zone discovery from the username (first call: Companies.get(0))', async () => {
    const res = await api.Companies.get(0);
    const first = exchanges[0];
    assert.ok(first, 'the library sent no request');
    assert.equal(first.method, 'GET');
    assert.equal(first.url, `${discoveryBase}v1.0/zoneInformation?user=${encodeURIComponent(creds.username)}`,
      'first request should be the zoneInformation lookup');
    assert.equal(first.status, 200, `zoneInformation answered HTTP ${first.status}: ${first.response}`);
    assert.ok(api.zoneInfo, 'library kept no zone information');
    assert.equal(api.zoneInfo.url, zoneUrl, 'zoneInformation.url');
    assert.equal(typeof api.zoneInfo.zoneName, 'string');
    assert.equal(typeof api.zoneInfo.webUrl, 'string');
    assert.equal(typeof api.zoneInfo.ci, 'number');
    const second = exchanges[1];
    assert.ok(second, 'no request after zone discovery');
    assert.equal(second.url, `${zoneUrl}V1.0/Companies/0`, 'the call after discovery should go to the zone url');
    assert.ok(res && res.item, 'Companies.get(0) returned no item');
  });

  await step('zone discovery for an unknown user: 500 "Zone information could not be determined"', async () => {
    // As the library README says of Autotask: an unknown username gives HTTP 500 with that
    // message, not 401. The library logs the failed lookup, falls back to base_url and makes
    // the call there, which fails the same way.
    const other = new AutotaskRestApi(`nobody-${stamp}`, 'x', 'y', { base_url: discoveryBase });
    const origError = console.error;
    let logged = '';
    console.error = (...a) => { logged += a.join(' '); };
    const from = exchanges.length;
    let err;
    try {
      err = await expectApiError(500, () => other.Companies.get(0));
    } finally {
      console.error = origError;
      exchanges.slice(from).forEach((x) => otherClientExchanges.add(x));
    }
    assert.deepEqual(err.details, { errors: ['Zone information could not be determined'] });
    const zoneEx = exchanges.slice(from).filter((x) => x.url.includes(`zoneInformation?user=nobody-${stamp}`));
    assert.equal(zoneEx.length, 1);
    assert.equal(zoneEx[0].status, 500);
    assert.deepEqual(JSON.parse(zoneEx[0].response), { errors: ['Zone information could not be determined'] });
    assert.match(logged, /HTTP-500/);
    assert.equal(other.zoneInfo, null);
  });

  await step('Companies.get(0) is the home company', async () => {
    const res = await api.Companies.get(0);
    assert.equal(res.item.id, 0);
    assert.equal(typeof res.item.companyName, 'string');
    assert.ok(res.item.companyName.length > 0, 'home company has no companyName');
    assert.ok(Array.isArray(res.item.userDefinedFields), 'item.userDefinedFields is not an array');
  });

  await step('Companies.get of an unknown id gives {item: null}', async () => {
    const res = await api.Companies.get(987654321);
    assert.deepEqual(res, { item: null });
  });

  await step('Companies.create (README style: PascalCase keys)', async () => {
    const res = await api.Companies.create({ CompanyName: name1, CompanyType: 1, Phone: '8005551212', OwnerResourceID: 1 });
    assert.ok(res && Number.isInteger(res.itemId) && res.itemId > 0, `create returned ${JSON.stringify(res)}`);
    companyId = res.itemId;
  });

  await step('Companies.get of the new company', async () => {
    const res = await api.Companies.get(need(companyId, 'the created company'));
    assert.equal(res.item.id, companyId);
    assert.equal(res.item.companyName, name1);
    assert.equal(res.item.companyType, 1);
    assert.equal(res.item.phone, '8005551212');
    assert.equal(res.item.ownerResourceID, 1);
  });

  await step('Companies.query companyName beginsWith', async () => {
    need(companyId, 'the created company');
    const res = await api.Companies.query({
      filter: [{ op: FilterOperators.beginsWith, field: 'companyName', value: `Compat ${stamp}` }],
    });
    assert.ok(Array.isArray(res.items), 'no items array');
    assert.equal(res.items.length, 1, `expected 1 company, got ${res.items.length}`);
    assert.equal(res.items[0].id, companyId);
    assert.equal(res.items[0].companyName, name1);
    assert.equal(res.pageDetails.count, 1);
    assert.equal(res.pageDetails.nextPageUrl, null);
    assert.equal(res.pageDetails.prevPageUrl, null);
  });

  await step('Companies.query with includeFields (README style: "Id", lower-case keys)', async () => {
    need(companyId, 'the created company');
    const res = await api.Companies.query({
      filter: [{ op: 'eq', field: 'CompanyName', value: name1.toUpperCase() }],
      includeFields: ['Id', 'companyName', 'phone'],
    });
    assert.equal(res.items.length, 1, 'eq on a string should be case-insensitive');
    const keys = Object.keys(res.items[0]).sort();
    assert.deepEqual(keys, ['companyName', 'id', 'phone', 'userDefinedFields'], `fields returned: ${keys}`);
  });

  await step('Companies.query over all companies (exist id), ordered by id', async () => {
    need(companyId, 'the created company');
    const res = await api.Companies.query({ filter: [{ op: 'exist', field: 'id' }] });
    assert.ok(res.items.length >= 2);
    const ids = res.items.map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'items not ordered by id');
    assert.ok(ids.includes(0) && ids.includes(companyId));
  });

  await step('Companies.count (README style: gte Id 0) matches the query', async () => {
    need(companyId, 'the created company');
    const all = await api.Companies.count({ filter: [{ op: 'gte', field: 'Id', value: 0 }] });
    const q = await api.Companies.query({ filter: [{ op: 'gte', field: 'Id', value: 0 }] });
    assert.ok(Number.isInteger(all.queryCount), `count returned ${JSON.stringify(all)}`);
    assert.equal(all.queryCount, q.items.length);
    const mine = await api.Companies.count({
      filter: [{ op: FilterOperators.beginsWith, field: 'companyName', value: `compat ${stamp}` }],
    });
    assert.deepEqual(mine, { queryCount: 1 });
  });

  await step('Companies.update (PATCH) changes only the fields sent', async () => {
    need(companyId, 'the created company');
    const res = await api.Companies.update({ id: companyId, companyName: name2, city: 'Springfield' });
    assert.deepEqual(res, { itemId: companyId });
    const got = (await api.Companies.get(companyId)).item;
    assert.equal(got.companyName, name2);
    assert.equal(got.city, 'Springfield');
    assert.equal(got.phone, '8005551212', 'PATCH changed a field it was not sent');
    assert.equal(got.companyType, 1);
  });

  await step('Companies.replace (PUT) replaces the record; omitted fields become null', async () => {
    need(companyId, 'the created company');
    const res = await api.Companies.replace({
      id: companyId, companyName: name3, companyType: 1, phone: '8005550000', ownerResourceID: 1,
    });
    assert.deepEqual(res, { itemId: companyId });
    const got = (await api.Companies.get(companyId)).item;
    assert.equal(got.id, companyId);
    assert.equal(got.companyName, name3);
    assert.equal(got.phone, '8005550000');
    assert.equal(got.companyType, 1);
    assert.equal(got.ownerResourceID, 1);
    assert.equal(got.city, null, 'PUT should have set the omitted city to null');
  });

  await step('Companies.delete is refused (Companies has no DELETE in Autotask): HTTP 405', async () => {
    need(companyId, 'the created company');
    const err = await expectApiError(405, () => api.Companies.delete(companyId));
    assert.match(JSON.stringify(err.details), /does not support http method 'DELETE'/);
    assert.equal((await api.Companies.get(companyId)).item.id, companyId, 'company gone after a refused DELETE');
  });

  await step('CompanyContacts.create (child collection Companies/{id}/Contacts)', async () => {
    need(companyId, 'the created company');
    const res = await api.CompanyContacts.create(companyId, {
      firstName: 'Zaphod', lastName: `Beeblebrox ${stamp}`, isActive: 1, emailAddress: `zaphod.${stamp}@example.com`,
    });
    assert.ok(res && Number.isInteger(res.itemId) && res.itemId > 0, `create returned ${JSON.stringify(res)}`);
    contactId = res.itemId;
    const last = exchanges[exchanges.length - 1];
    assert.equal(last.url, `${zoneUrl}V1.0/Companies/${companyId}/Contacts`);
  });

  await step('Contacts.get and Contacts.query find the new contact under its company', async () => {
    need(contactId, 'the created contact');
    const got = (await api.Contacts.get(contactId)).item;
    assert.equal(got.id, contactId);
    assert.equal(got.companyID, companyId);
    assert.equal(got.firstName, 'Zaphod');
    assert.equal(got.lastName, `Beeblebrox ${stamp}`);
    assert.equal(got.isActive, 1);
    const q = await api.Contacts.query({ filter: [{ field: 'firstName', op: FilterOperators.eq, value: 'Zaphod' },
      { field: 'companyID', op: 'eq', value: companyId }] });
    assert.deepEqual(q.items.map((c) => c.id), [contactId]);
  });

  await step('CompanyContacts.update (PATCH Companies/{id}/Contacts)', async () => {
    need(contactId, 'the created contact');
    // (the library README's example PATCHes middleName, which Contacts does not have: middleInitial)
    const res = await api.CompanyContacts.update(companyId, { id: contactId, middleInitial: 'H', title: 'President' });
    assert.deepEqual(res, { itemId: contactId });
    const last = exchanges[exchanges.length - 1];
    assert.equal(last.url, `${zoneUrl}V1.0/Companies/${companyId}/Contacts`);
    const got = (await api.Contacts.get(contactId)).item;
    assert.equal(got.middleInitial, 'H');
    assert.equal(got.title, 'President');
    assert.equal(got.firstName, 'Zaphod');
  });

  await step('CompanyContacts.replace (PUT Companies/{id}/Contacts): omitted fields become null', async () => {
    need(contactId, 'the created contact');
    const res = await api.CompanyContacts.replace(companyId, {
      id: contactId, firstName: 'Zaphod', lastName: `Beeblebrox ${stamp}`, isActive: 1, title: 'Ex-President',
    });
    assert.deepEqual(res, { itemId: contactId });
    const got = (await api.Contacts.get(contactId)).item;
    assert.equal(got.title, 'Ex-President');
    assert.equal(got.companyID, companyId);
    assert.equal(got.middleInitial, null, 'PUT should have set the omitted middleInitial to null');
  });

  await step('CompanyContacts.delete (DELETE Companies/{id}/Contacts/{contactId})', async () => {
    need(contactId, 'the created contact');
    const res = await api.CompanyContacts.delete(companyId, contactId);
    assert.deepEqual(res, { itemId: contactId });
    const last = exchanges[exchanges.length - 1];
    assert.equal(last.method, 'DELETE');
    assert.equal(last.url, `${zoneUrl}V1.0/Companies/${companyId}/Contacts/${contactId}`);
    assert.deepEqual(await api.Contacts.get(contactId), { item: null }, 'contact still there after DELETE');
    assert.deepEqual(await api.Contacts.count({ filter: [{ op: 'eq', field: 'id', value: contactId }] }), { queryCount: 0 });
  });

  await step('Tickets.create', async () => {
    need(companyId, 'the created company');
    const res = await api.Tickets.create({ companyID: companyId, title: `Printer on fire ${stamp}`, status: 1, priority: 2 });
    assert.ok(res && Number.isInteger(res.itemId) && res.itemId > 0, `create returned ${JSON.stringify(res)}`);
    ticketId = res.itemId;
  });

  await step('Tickets.get of the new ticket', async () => {
    const got = (await api.Tickets.get(need(ticketId, 'the created ticket'))).item;
    assert.equal(got.id, ticketId);
    assert.equal(got.companyID, companyId);
    assert.equal(got.title, `Printer on fire ${stamp}`);
    assert.equal(got.status, 1);
    assert.equal(got.priority, 2);
    assert.match(got.ticketNumber || '', /^T\d{8}\.\d{4}$/, `ticketNumber ${got.ticketNumber}`);
    assert.match(got.createDate || '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, `createDate ${got.createDate}`);
    ticketNumber = got.ticketNumber;
  });

  await step('Tickets.update (PATCH) and Tickets.query by ticketNumber', async () => {
    need(ticketNumber, 'the created ticket');
    assert.deepEqual(await api.Tickets.update({ id: ticketId, title: `Printer still on fire ${stamp}` }), { itemId: ticketId });
    const q = await api.Tickets.query({ filter: [{ op: 'eq', field: 'ticketNumber', value: ticketNumber }] });
    assert.equal(q.items.length, 1);
    assert.equal(q.items[0].id, ticketId);
    assert.equal(q.items[0].title, `Printer still on fire ${stamp}`);
    assert.equal(q.items[0].priority, 2, 'PATCH changed priority');
  });

  await step('Tickets.info (entityInformation)', async () => {
    const res = await api.Tickets.info();
    assert.ok(res && res.info, `no info: ${JSON.stringify(res)}`);
    assert.equal(res.info.canCreate, true);
    assert.equal(res.info.canQuery, true);
    assert.equal(res.info.canUpdate, true);
    assert.equal(res.info.canDelete, false);
    assert.equal(res.info.hasUserDefinedFields, true);
    for (const k of ['userAccessForCreate', 'userAccessForDelete', 'userAccessForQuery', 'userAccessForUpdate']) {
      assert.ok(['None', 'All', 'Restricted'].includes(res.info[k]), `${k} = ${JSON.stringify(res.info[k])}`);
    }
  });

  await step('Companies.info (entityInformation): no delete', async () => {
    const res = await api.Companies.info();
    assert.equal(res.info.canDelete, false);
    assert.equal(res.info.canCreate, true);
  });

  await step('Tickets.fieldInfo: status is a required integer picklist with values', async () => {
    const res = await api.Tickets.fieldInfo();
    assert.ok(Array.isArray(res.fields) && res.fields.length > 10, 'no fields array');
    const byName = Object.fromEntries(res.fields.map((f) => [f.name, f]));
    // the library README: result.fields.find(field=>field.name==="status")
    const status = res.fields.find((f) => f.name === 'status');
    assert.ok(status, `no field named "status" (names: ${Object.keys(byName).slice(0, 20).join(', ')}…)`);
    assert.equal(status.dataType, 'integer');
    assert.equal(status.isPickList, true);
    assert.equal(status.isRequired, true);
    assert.ok(Array.isArray(status.picklistValues) && status.picklistValues.length > 0, 'status has no picklistValues');
    for (const v of status.picklistValues) {
      assert.equal(typeof v.value, 'string', `picklist value ${JSON.stringify(v)}`);
      assert.equal(typeof v.label, 'string');
      for (const k of ['isDefaultValue', 'isActive', 'isSystem']) assert.equal(typeof v[k], 'boolean', `${k} in ${JSON.stringify(v)}`);
      assert.equal(typeof v.sortOrder, 'number');
    }
    assert.ok(status.picklistValues.some((v) => v.value === '1'), 'status has no value "1"');
    const title = byName.title;
    assert.ok(title, 'no title field');
    assert.equal(title.dataType, 'string');
    assert.equal(title.isPickList, false);
    assert.equal(title.picklistValues, null);
    const companyID = byName.companyID;
    assert.ok(companyID && companyID.isReference === true && companyID.referenceEntityType === 'Company',
      `companyID: ${JSON.stringify(companyID)}`);
  });

  await step('Tickets.udfInfo (entityInformation/userDefinedFields)', async () => {
    const res = await api.Tickets.udfInfo();
    assert.ok(res && Array.isArray(res.fields), `udfInfo returned ${JSON.stringify(res)}`);
  });

  await step('Modules.get', async () => {
    const res = await api.Modules.get();
    assert.ok(res && Array.isArray(res.modules) && res.modules.length > 0, `Modules returned ${JSON.stringify(res)}`);
    for (const m of res.modules) assert.equal(typeof m.value, 'boolean', JSON.stringify(m));
  });

  await step('every call after discovery went to the zone url', async () => {
    const mine = exchanges.filter((x) => !otherClientExchanges.has(x));
    assert.equal(mine.filter((x) => x.url.includes('zoneInformation')).length, 1, 'zoneInformation should be asked once');
    const stray = mine.slice(1).filter((x) => !x.url.startsWith(`${zoneUrl}V1.0/`));
    assert.deepEqual(stray.map((x) => x.url), [], 'requests that did not go to the zone url');
    assert.ok(mine.length > 20);
  });

  const total = `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '');
  console.log(`compat: ${total}`);
  process.exit(failed || skipped ? 1 : 0);
})().catch((err) => {
  console.error(`compat: aborted: ${err && err.stack ? err.stack : err}`);
  if (exchanges.length) console.error(`last HTTP exchanges:\n${lastExchanges(3)}`);
  console.log(`compat: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
