import { describe, expect, it } from 'vitest';
import { HostEntryError } from '../../src/hosts/host-input-error.js';
import { parseEntry } from '../../src/hosts/parse-entry.js';
import { compileUrlTemplate, UrlTemplateError } from '../../src/hosts/url-template.js';

const render = (template: string, host: string, index = 0): string => compileUrlTemplate(template).render({ host, index });

describe('compileUrlTemplate', () => {
  it('defaults to http://{host}/ with the entry as given', () => {
    expect(compileUrlTemplate().render({ host: 'web01:8080', index: 0 })).toBe('http://web01:8080/');
    expect(compileUrlTemplate().render({ host: '[::1]:8080', index: 0 })).toBe('http://[::1]:8080/');
  });

  it('fills {hostname}, keeping IPv6 brackets', () => {
    expect(render('https://{hostname}/x', 'web01:8080')).toBe('https://web01/x');
    expect(render('https://{hostname}/x', '[::1]:8080')).toBe('https://[::1]/x');
  });

  it("fills {port} with the entry's port, else the template scheme's default", () => {
    expect(render('https://{hostname}:{port}/', 'web01:8443')).toBe('https://web01:8443/');
    expect(render('https://{hostname}:{port}/', 'web01')).toBe('https://web01:443/');
    expect(render('http://{hostname}:{port}/', 'web01')).toBe('http://web01:80/');
    expect(render('HTTP://{hostname}:{port}/', 'web01')).toBe('HTTP://web01:80/');
  });

  it('fills {index}, and a placeholder used twice', () => {
    expect(render('http://{hostname}/shard/{index}?h={hostname}', 'web07', 41)).toBe('http://web07/shard/41?h=web07');
  });

  it('uses a URL entry as is, ignoring the template', () => {
    expect(render('https://{hostname}:9443/api', 'http://web01/status?x=1')).toBe('http://web01/status?x=1');
  });

  it('throws HostEntryError for a host that is not a valid entry', () => {
    expect(() => render('http://{host}/', 'web 01')).toThrow(HostEntryError);
  });

  describe('check', () => {
    const check = (template: string, host: string): void => compileUrlTemplate(template).check(parseEntry(host));

    it('refuses an entry with a port where the template puts another after {host}, suggesting {hostname}', () => {
      expect(() => check('http://{host}:8080/', '127.0.0.1:18081')).toThrow(
        new HostEntryError(
          '"127.0.0.1:18081" already has a port and -u puts another after {host}: use {hostname} (http://{hostname}:8080/)',
        ),
      );
      expect(() => check('https://{host}:{port}/x?h={host}:1', '[::1]:8443')).toThrow(
        '"[::1]:8443" already has a port and -u puts another after {host}: use {hostname} (https://{hostname}:{port}/x?h={host}:1)',
      );
    });

    it('accepts what makes a valid URL: no port in the entry, a URL entry, {host} without a port after it', () => {
      for (const host of ['web01', '[::1]', '127.0.0.1']) expect(() => check('http://{host}:8080/', host)).not.toThrow();
      expect(() => check('http://{host}:8080/', 'http://web01:81/')).not.toThrow();
      expect(() => check('http://{host}/x?via={host}:1', 'web01:81')).not.toThrow();
      expect(() => check('http://{hostname}:8080/', 'web01:81')).not.toThrow();
    });
  });

  it.each([
    ['http://{hostnme}/', 'unknown placeholder {hostnme} in URL template "http://{hostnme}/" (known: {host}, {hostname}, {port}, {index})'],
    ['http://{host/', 'unclosed "{" in URL template "http://{host/"'],
    ['{host}/status', 'URL template "{host}/status" must start with http:// or https://'],
    ['ftp://{host}/', 'URL template "ftp://{host}/" must start with http:// or https://'],
    ['http://{host}:99999/', 'URL template "http://{host}:99999/" does not make a valid URL (tried with host example.com)'],
  ])('rejects %s', (template, message) => {
    expect(() => compileUrlTemplate(template)).toThrow(new UrlTemplateError(message));
  });
});
