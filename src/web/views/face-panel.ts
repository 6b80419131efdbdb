/**
 * The face panel beside the gallery: the selected face's thumbnail, detector score, head pose and quality, and its 40 attributes
 * sorted by probability, with the decision threshold as a tick. Clicking an attribute adds it to the
 * gallery's filter (event `filter-add`).
 */

import type { Face } from '../../types.js';
import { $, app, emit } from '../state.js';

let selectedFace: { id: number; face: number } | null = null;

/** Select face `face` (index in the record) of photo `id`: highlight its box and show its attributes. */
export function selectFace(id: number, face: number): void {
  selectedFace = { id, face };
  document.querySelectorAll('.face.active').forEach((el) => el.classList.remove('active'));
  app.photos.get(id)?.card.querySelector(`.face[data-face="${face}"]`)?.classList.add('active');
  renderFacePanel();
}

function renderFacePanel(): void {
  const panel = $('face-panel');
  panel.replaceChildren();
  const p = selectedFace ? app.photos.get(selectedFace.id) : undefined;
  const f: Face | undefined = p?.result?.faces[selectedFace!.face];
  if (!p || !f) {
    panel.innerHTML = '<p class="note">Click a face box to see its 40 attributes.</p>';
    return;
  }
  panel.dataset.path = p.path;
  panel.dataset.face = String(selectedFace!.face);
  const head = document.createElement('div');
  head.className = 'panel-head';
  const thumb = document.createElement('canvas');
  thumb.width = 96;
  thumb.height = 118;
  const img = p.card.querySelector('img');
  if (img) drawFaceThumb(thumb, img, f);
  const text = document.createElement('div');
  text.innerHTML = `<h2>Face ${selectedFace!.face + 1} of ${p.result!.faces.length}</h2><p class="note"></p><p class="note">detector score ${f.score.toFixed(2)}</p>`;
  text.querySelector('.note')!.textContent = p.path;
  const pq = poseQualityText(f);
  if (pq) {
    const q = document.createElement('p');
    q.className = 'note pose-quality';
    q.textContent = pq.pose;
    if (pq.pose && pq.quality) q.append(document.createElement('br'));
    q.append(pq.quality);
    q.title = 'Head pose in degrees (yaw + = nose to the photo\'s right, pitch + = chin up, roll + = clockwise; pitch is coarse) and image quality: eye distance in photo pixels, sharpness 0-64, brightness and contrast 0-1, clipped share. See docs/quality.md.';
    text.append(q);
  }
  head.append(thumb, text);
  const list = document.createElement('ol');
  list.className = 'attributes';
  const names = Object.keys(f.attributes).sort((a, b) => f.attributes[b] - f.attributes[a]);
  for (const name of names) {
    const prob = f.attributes[name];
    const yes = f.decisions[name];
    const thr = app.model?.thresholds[name];
    const li = document.createElement('li');
    li.dataset.attribute = name;
    li.dataset.decision = String(yes);
    li.className = yes ? 'yes' : 'no';
    li.title = `${name}: probability ${(100 * prob).toFixed(1)}%${thr !== undefined ? `, threshold ${(100 * thr).toFixed(0)}%` : ''} → ${yes ? 'yes' : 'no'}`;
    const label = document.createElement('span');
    label.className = 'attr';
    label.textContent = name.replace(/_/g, ' ');
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.width = `${(100 * prob).toFixed(1)}%`;
    bar.append(fill);
    if (thr !== undefined) {
      const tick = document.createElement('span');
      tick.className = 'tick';
      tick.style.left = `${(100 * thr).toFixed(1)}%`;
      bar.append(tick);
    }
    const val = document.createElement('span');
    val.className = 'prob';
    val.textContent = `${(100 * prob).toFixed(0)}%`;
    const dec = document.createElement('span');
    dec.className = 'decision';
    dec.textContent = yes ? 'yes' : 'no';
    li.append(label, bar, val, dec);
    li.addEventListener('click', () => emit('filter-add', name));
    list.append(li);
  }
  const legend = document.createElement('p');
  legend.className = 'note';
  legend.textContent = 'Bars: probability. Tick: the decision threshold chosen on CelebA validation. Click an attribute to filter by it. Predictions are statistical estimates, not facts about the person.';
  panel.append(head, list, legend);
}

function drawFaceThumb(canvas: HTMLCanvasElement, img: HTMLImageElement, f: Face): void {
  const draw = () => {
    const ctx = canvas.getContext('2d');
    if (!ctx || !img.naturalWidth) return;
    const cx = f.box.x + f.box.width / 2, cy = f.box.y + f.box.height / 2;
    const s = Math.max(f.box.width, f.box.height) * 1.5;
    const w = s * (canvas.width / canvas.height);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, cx - w / 2, cy - s / 2, w, s, 0, 0, canvas.width, canvas.height);
  };
  if (img.complete) draw();
  else img.addEventListener('load', draw, { once: true });
}

/**
 * The face's pose and quality in words, e.g. pose "yaw -34° · pitch 1° · roll 7°" and quality "eyes 93 px apart ·
 * sharpness 0.36 · brightness 0.45 · contrast 0.15 · clipped 0%"; empty strings for records without them (written
 * before issue 14), null when both are missing.
 */
export function poseQualityText(f: Face): { pose: string; quality: string } | null {
  if (!f.pose && !f.quality) return null;
  const deg = (v: number) => `${Math.round(v) + 0}°`; // + 0: no "-0°"
  const pose = f.pose ? `yaw ${deg(f.pose.yaw)} · pitch ${deg(f.pose.pitch)} · roll ${deg(f.pose.roll)}` : '';
  const q = f.quality;
  const quality = q
    ? `eyes ${q.eye_distance.toFixed(0)} px apart · sharpness ${q.sharpness.toFixed(2)} · brightness ${q.brightness.toFixed(2)} · contrast ${q.contrast.toFixed(2)} · clipped ${(100 * q.clipped).toFixed(0)}%`
    : '';
  return { pose, quality };
}
